"""Drives the chaintrail web UI in Debian's Chromium (Playwright) and prints what a person would
see, as one JSON object on stdout, for tests/ui.rs to assert on.

Usage: drive.py BASE_URL KEY THIEF HOLDER SEED_TX
"""
import json
import sys

from playwright.sync_api import sync_playwright

ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run']
TIMEOUT_MS = 15000
# Cytoscape draws on a canvas: a node is clicked through its API. Nothing is returned, since
# Playwright would serialise the whole graph.
TAP = "id => { window.chaintrailGraph.cy.getElementById(id).emit('tap'); }"


def texts(page, selector):
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def main():
    base, key, thief, holder, seed = sys.argv[1:6]
    seen = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path='/usr/bin/chromium', args=ARGS)
        page = browser.new_page(viewport={'width': 1300, 'height': 1000})
        page.set_default_timeout(TIMEOUT_MS)
        outside = []
        # Downloads the page makes itself are blob: URLs of its own origin: nothing leaves.
        page.on('request', lambda r: None if r.url.startswith((base, f'blob:{base}'))
                else outside.append(r.url))
        errors = []
        page.on('pageerror', lambda e: errors.append(str(e)))

        # No key yet: the search shows the server's refusal.
        page.goto(f'{base}/ui/#/search?q={thief}')
        seen['without_key'] = page.locator('[data-testid=error]').inner_text()

        # A wrong key: refused too.
        page.fill('#key', 'not-the-key')
        page.click('#key-form button')
        page.wait_for_selector('[data-testid=error]:has-text("invalid_api_key")')
        seen['wrong_key'] = page.locator('[data-testid=error]').inner_text()

        # The key: the search dispatches to the address page.
        page.fill('#key', key)
        page.click('#key-form button')
        page.wait_for_selector('[data-testid=label-table]')
        page.wait_for_selector('[data-testid=risk]')
        seen['address_hash'] = page.evaluate('location.hash')
        seen['risk'] = page.locator('[data-testid=screening] [data-testid=risk]').inner_text()
        seen['risk_reason'] = page.locator('[data-testid=risk-reason]').inner_text()
        seen['label_names'] = texts(page, '[data-testid=label-table] tbody tr td:first-child')
        seen['exposure_rows'] = texts(page, '[data-testid=exposures] tbody tr')
        seen['key_in_session'] = page.evaluate("sessionStorage.getItem('chaintrail.apiKey')")

        # An address on two chains: the search asks which.
        page.goto(f'{base}/ui/#/search?q={holder}')
        page.wait_for_selector('[data-testid=chain-choice]')
        seen['holder_choices'] = texts(page, '[data-testid=chain-choice] li')

        # The search box itself, with a transaction hash.
        page.goto(f'{base}/ui/#/search')
        page.fill('[data-testid=search-input]', seed)
        page.click('[data-testid=search-go]')
        page.wait_for_selector('[data-testid=transfers]')
        seen['tx_hash'] = page.evaluate('location.hash')
        seen['tx_rows'] = texts(page, '[data-testid=transfers] tbody tr')

        # The trace workspace: FIFO beside haircut.
        page.goto(f'{base}/ui/#/trace')
        page.fill('[data-testid=trace-seeds]', f'ethereum:{seed}')
        page.select_option('[data-testid=trace-policy]', 'fifo')
        page.select_option('[data-testid=trace-compare]', 'haircut')
        page.fill('[data-testid=trace-max_hops]', '10')
        page.click('[data-testid=trace-go]')
        page.wait_for_selector('[data-testid=graph][data-nodes]')
        graph = page.locator('[data-testid=graph]')
        seen['graph_nodes'] = int(graph.get_attribute('data-nodes'))
        seen['graph_edges'] = int(graph.get_attribute('data-edges'))
        seen['compare'] = texts(page, '[data-testid=compare-line]')
        seen['per_hop_columns'] = int(page.get_attribute('[data-testid=per-hop]', 'data-columns'))
        seen['per_hop_bars'] = page.locator('[data-testid=per-hop] rect').count()
        seen['timeline_dots'] = page.locator('[data-testid=timeline] circle').count()
        for policy in ['fifo', 'haircut']:
            seen[f'endpoints_{policy}'] = texts(page, f'[data-testid=endpoint-table-{policy}] tbody tr')

        # Click the thief's node, then collapse its downstream, expand it, hide its branch.
        page.evaluate(TAP, thief)
        page.wait_for_selector('[data-testid=node-labels] li')
        seen['node_labels'] = texts(page, '[data-testid=node-labels] li')
        visible = 'window.chaintrailGraph.visibleNodes()'
        page.click('[data-testid=collapse]')
        seen['visible_after_collapse'] = page.evaluate(visible)
        page.click('[data-testid=expand]')
        seen['visible_after_expand'] = page.evaluate(visible)
        page.click('[data-testid=hide-branch]')
        seen['visible_after_hide'] = page.evaluate(visible)
        page.click('[data-testid=show-all]')
        seen['visible_after_show_all'] = page.evaluate(visible)
        binance = page.evaluate(
            "window.chaintrailGraph.cy.nodes('.service').map(n => n.id())")
        page.evaluate(TAP, binance[0])
        page.wait_for_selector('[data-testid=node-endpoint]')
        seen['binance_node'] = texts(page, '[data-testid=node-endpoint]')

        # Save the trace as a case, reload the case page, export the case's freeze packs.
        page.fill('[data-testid=case-name-input]', 'Ronin exploiter, day one')
        page.fill('[data-testid=case-notes-input]', 'Binance reached within the hour')
        page.click('[data-testid=case-save]')
        page.wait_for_selector('[data-testid=case-name]')
        seen['case_hash'] = page.evaluate('location.hash')
        page.reload()
        page.wait_for_selector('[data-testid=case-endpoints]')
        seen['case_name'] = page.locator('[data-testid=case-name]').inner_text()
        seen['case_notes'] = page.locator('[data-testid=case-notes]').inner_text()
        seen['case_endpoints'] = texts(page, '[data-testid=case-endpoints] tbody tr')
        with page.expect_download() as download:
            page.click('[data-testid=freeze-pack]')
        seen['freeze_pack_file'] = download.value.suggested_filename
        with open(download.value.path(), encoding='utf-8') as f:
            packs = json.load(f)['packs']
        seen['freeze_pack_deposits'] = [
            [p['exchange'], d['address'], d['amount'], d['block_number']]
            for p in packs for d in p['deposits']]
        page.wait_for_selector('[data-testid=freeze-pack-deposits]')
        seen['freeze_pack_rows'] = texts(page, '[data-testid=freeze-pack-deposits] tbody tr')
        page.goto(f'{base}/ui/#/cases')
        page.wait_for_selector('[data-testid=case-list]')
        seen['case_list'] = texts(page, '[data-testid=case-list] tbody tr td:first-child')

        # Screening many addresses.
        page.goto(f'{base}/ui/#/screen')
        page.fill('[data-testid=screen-input]', f'{thief}\n{holder}, 0xnot-an-address')
        page.click('[data-testid=screen-go]')
        page.wait_for_selector('[data-testid=screen-results]')
        seen['screen_rows'] = texts(page, '[data-testid=screen-results] tbody tr')

        seen['page_errors'] = errors
        seen['outside_requests'] = outside
        browser.close()
    print(json.dumps(seen))


if __name__ == '__main__':
    main()
