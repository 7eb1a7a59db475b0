"""Drives the chaintrail web UI in Debian's Chromium (Playwright) and prints what a person would
see, as one JSON object on stdout, for tests/ui.rs to assert on.

Usage: drive.py BASE_URL KEY THIEF HOLDER SEED_TX BINANCE SCREENSHOT_DIR
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


def svg_texts(page, selector):
    # SVG elements have no innerText: their text content is what a tooltip shows.
    return [t.strip() for t in page.locator(selector).all_text_contents()]


def main():
    base, key, thief, holder, seed, ui_binance, shots = sys.argv[1:8]
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
        page.wait_for_selector('[data-testid=sankey] svg')
        seen['sankey_nodes'] = int(page.get_attribute('[data-testid=sankey] svg', 'data-nodes'))
        seen['sankey_node_rects'] = page.locator('[data-testid=sankey] rect.sankey-node').count()
        seen['sankey_links'] = page.locator('[data-testid=sankey] path.sankey-link').count()
        seen['sankey_tooltips'] = svg_texts(page, '[data-testid=sankey] path.sankey-link title')
        seen['sankey_json'] = page.evaluate(
            'window.chaintrailSankeys.map(s => ({asset: s.asset, '
            'nodes: s.nodes.map(n => [n.id, n.amount, n.units])}))')
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

        # Edit the case: new name, notes and an annotation; the page and a reload show them.
        page.click('[data-testid=case-list] a')
        page.wait_for_selector('[data-testid=case-editor]')
        page.fill('[data-testid=case-edit-name]', 'Ronin exploiter, day two')
        page.fill('[data-testid=case-edit-notes]', 'Binance froze the 10 ETH')
        page.fill('[data-testid=case-edit-annotations]', f'{ui_binance} = Binance reserve wallet')
        page.click('[data-testid=case-edit-save]')
        page.wait_for_selector('[data-testid=case-name]:has-text("day two")')
        page.reload()
        page.wait_for_selector('[data-testid=case-annotations]')
        seen['edited_hash'] = page.evaluate('location.hash')
        seen['edited_name'] = page.locator('[data-testid=case-name]').inner_text()
        seen['edited_notes'] = page.locator('[data-testid=case-notes]').inner_text()
        seen['edited_annotations'] = texts(page, '[data-testid=case-annotations] li')
        # Delete it: a confirmation first, then back to the list, which is empty.
        page.click('[data-testid=case-delete]')
        page.click('[data-testid=case-delete-confirm]')
        page.wait_for_selector('text=No case yet')
        seen['after_delete_hash'] = page.evaluate('location.hash')
        seen['after_delete'] = page.locator('#page').inner_text()
        page.goto(f'{base}/ui/#/case/ronin-exploiter-day-one-1')
        page.wait_for_selector('[data-testid=error]')
        seen['deleted_case'] = page.locator('[data-testid=error]').inner_text()

        # The incident dashboard: the ledger beside the published totals, and the incidents.
        page.goto(f'{base}/ui/#/incidents')
        page.wait_for_selector('[data-testid=dashboard-chart]')
        seen['dashboard_bars'] = page.evaluate(
            "[...document.querySelectorAll('[data-testid=dashboard-chart] rect[data-series]')]"
            ".map(r => [r.dataset.series, Number(r.dataset.year), Number(r.dataset.usd), "
            "r.dataset.verified === 'true'])")
        seen['dashboard_unverified_titles'] = svg_texts(
            page, '[data-testid=dashboard-chart] rect[data-verified=false] title')
        seen['dashboard_legend'] = texts(page, '[data-testid=dashboard-legend] li')
        seen['dashboard_spans'] = texts(page, '[data-testid=dashboard-spans] tbody tr')
        seen['dashboard_incident_count'] = page.locator('[data-testid=dashboard-incidents] tbody tr').count()
        curated = page.locator('[data-testid=dashboard-incidents] tbody tr', has_text='Ronin exploiter (curated)')
        seen['dashboard_curated_row'] = [t.strip() for t in curated.all_inner_texts()]
        curated.locator('a').click()
        page.wait_for_selector('[data-testid=graph][data-nodes]')
        seen['dashboard_trace_seeds'] = page.locator('[data-testid=trace-seeds]').input_value()
        seen['dashboard_trace_nodes'] = int(page.get_attribute('[data-testid=graph]', 'data-nodes'))
        page.screenshot(path=f'{shots}/trace.png', full_page=True)
        page.goto(f'{base}/ui/#/incidents')
        page.wait_for_selector('[data-testid=dashboard-chart]')
        page.screenshot(path=f'{shots}/incidents.png', full_page=True)

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
