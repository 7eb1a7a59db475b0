// Amounts for people: rounded to what a reader needs. The API's JSON keeps every amount exact
// (decimal strings); nothing here feeds a computation.

/** A decimal string of whole units, rounded to `digits` significant decimals (at least 2,
 *  at most 6), with thousands separators: "59.999999999999999999" → "60", "0.0001234" → "0.000123". */
export function units(text, digits = 4) {
  if (text === null || text === undefined || text === '') return '';
  const [whole, frac = ''] = String(text).replace(/^-/, '').split('.');
  const negative = String(text).startsWith('-');
  const lead = frac.search(/[1-9]/);
  let places = Number(whole) === 0 && lead >= 0 ? Math.min(lead + digits, 18) : Math.min(digits, 6);
  places = Math.max(places, 0);
  const n = Number(`${whole}.${frac || '0'}`);
  const rounded = n.toLocaleString('en-US', { maximumFractionDigits: Math.min(places, 20), minimumFractionDigits: 0 });
  return (negative ? '-' : '') + rounded;
}

/** An amount with its asset: "10 ETH". */
export function amount(value) {
  if (!value) return '';
  return `${units(value.units)} ${value.asset}`;
}

/** US dollars, whole above $1,000, cents below; '' when unpriced. */
export function usd(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '';
  const cents = Math.abs(n) < 1000;
  return '$' + n.toLocaleString('en-US', {
    minimumFractionDigits: cents ? 2 : 0,
    maximumFractionDigits: cents ? 2 : 0,
  });
}

/** A share 0..1 as a percentage. */
export function percent(share) {
  if (share === null || share === undefined) return '';
  return `${(share * 100).toFixed(share < 0.01 ? 2 : 1)}%`;
}

/** "0x1234…abcd" for graph labels; the full text stays in tables. */
export function short(text) {
  if (!text) return '';
  return text.length > 16 ? `${text.slice(0, 8)}…${text.slice(-6)}` : text;
}

/** A block time (seconds since the epoch) as UTC. */
export function time(seconds) {
  if (!seconds) return '';
  return new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}
