// Browser tests of draft rosters and the team page (issue 20), run by
// dashboard.test.js (same server, browser and helpers):
// a supervisor uploads a draft, sees a red flag, swaps a shift, sees the
// flag clear and publishes; the officer's own GET /v1/me/risk never shows
// the draft and then shows the published shifts; a supervisor of another
// team gets nothing; publishing over a red flag without a reason is
// refused. The draft and team pages are screenshotted at a tablet viewport
// and with print media, and nothing may overflow the page sideways.
'use strict';

const TABLET = { width: 820, height: 1180 };

// The Monday at least a week ahead (UTC dates), and the week from it.
function nextWeek() {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 7 + ((8 - d.getUTCDay()) % 7));
  const day = (n) => {
    const x = new Date(d);
    x.setUTCDate(d.getUTCDate() + n);
    return x.toISOString().slice(0, 10);
  };
  return { monday: day(0), tuesday: day(1), sunday: day(6) };
}

function tests({ base, shots, check, api, signIn, path, PASSWORD }) {
  // Page width checks: the document is no wider than the window.
  async function noSidewaysOverflow(page, what) {
    const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    check(scroll <= inner, `${what}: nothing overflows sideways (${scroll} <= ${inner})`);
  }

  async function tabletAndPrint(page, name) {
    await page.setViewportSize(TABLET);
    await noSidewaysOverflow(page, `${name} at 820 px`);
    await page.screenshot({ path: path.join(shots, `${name}-tablet.png`), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await noSidewaysOverflow(page, `${name} printed`);
    check(!(await page.locator('form#publish, form#start-draft').first().isVisible().catch(() => false)),
      `${name}: forms are not printed`);
    await page.screenshot({ path: path.join(shots, `${name}-print.png`), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
  }

  // A team of three new staff numbers with its own supervisor, and the
  // first member's phone (the demo's officers have all enrolled).
  async function setUp() {
    const run = String(Date.now() % 100000).padStart(5, '0');
    const staff = ['1', '2', '3'].map((i) => `D7${run}${i}`);
    const fa = await api('POST', '/v1/auth/login', null, { force: 'demo', username: 'force-admin', password: PASSWORD });
    const token = fa.body.access_token;
    const team = await api('POST', '/v1/force/teams', token,
      { name: `Draft team ${run}`, command: 'North', policing_function: 'response' });
    check(team.status === 201, `team created (${team.status})`);
    const members = await api('PUT', `/v1/teams/${team.body.id}/members`, token, { staff_numbers: staff });
    check(members.status === 200, `members set (${members.status})`);
    const username = `draft-sarge-${run}`;
    const sup = await api('POST', '/v1/force/accounts', token, { username, password: PASSWORD, role: 'supervisor' });
    check(sup.status === 201, `supervisor created (${sup.status})`);
    const link = await api('POST', `/v1/teams/${team.body.id}/supervisors`, token, { account_id: sup.body.id });
    check(link.status === 204, `supervisor linked (${link.status})`);
    const code = await api('POST', '/v1/force/enrolment-codes', token, { staff_number: staff[0] });
    check(code.status === 201, `enrolment code (${code.status})`);
    const phone = await api('POST', '/v1/enrol', null, { force: 'demo', code: code.body.code });
    check(phone.status === 200, `officer enrolled (${phone.status})`);
    const supToken = (await api('POST', '/v1/auth/login', null, { force: 'demo', username, password: PASSWORD })).body.access_token;
    return { team: team.body.id, staff, username, officer: phone.body.access_token, supToken };
  }

  // -1 works a late on Monday and an early on Tuesday (8 h of rest: a red
  // quick return); -2 works a late on Tuesday.
  function csv(staff, w) {
    return 'staff_id,start,end\n'
      + `${staff[0]},${w.monday}T14:00,${w.monday}T22:00\n`
      + `${staff[0]},${w.tuesday}T06:00,${w.tuesday}T14:00\n`
      + `${staff[1]},${w.tuesday}T14:00,${w.tuesday}T22:00\n`;
  }

  async function myShifts(officer, w) {
    const r = await api('GET', `/v1/me/risk?from=${w.monday}&to=${w.sunday}`, officer);
    check(r.status === 200, `officer's own risk (${r.status})`);
    return r.body.shifts.map((s) => s.start);
  }

  return [
    ['supervisor uploads a draft, sees the red flag, swaps, sees it clear and publishes; officers never see drafts', async (page) => {
      const w = nextWeek();
      const t = await setUp();
      check((await myShifts(t.officer, w)).length === 0, 'nothing published yet');
      await signIn(page, 'demo', t.username);
      await page.goto(`${base}/dashboard/teams/${t.team}?from=${w.monday}&to=${w.sunday}`);
      await page.getByLabel('First day').fill(w.monday);
      await page.getByLabel('Last day').fill(w.sunday);
      await page.getByLabel('Roster file (CSV or iCalendar; leave empty to copy the published roster)')
        .setInputFiles({ name: 'draft.csv', mimeType: 'text/csv', buffer: Buffer.from(csv(t.staff, w)) });
      await page.getByRole('button', { name: 'Start draft' }).click();
      await page.waitForURL(/\/drafts\/[0-9a-f-]+$/);
      const draftUrl = page.url();
      const red = Number(await page.locator('#draft-red-flags').innerText());
      check(red >= 1, `the draft has a red flag (${red})`);
      const flags = await page.locator(`#draft-officer-${t.staff[0]} ul.flags`).innerText();
      check(/red .*quick_return/.test(flags), `quick return flagged red for ${t.staff[0]}: ${flags}`);
      check((await page.locator(`#draft-officer-${t.staff[0]} ul.flags li`).first().innerText()).startsWith('red'),
        'red flags first');
      // A heat-map cell opens its shift's detail, which says why.
      await page.locator('#draft-map tbody tr', { hasText: t.staff[0] }).locator('td a').nth(1).click();
      const target = await page.evaluate(() => {
        const el = document.querySelector(':target');
        return el ? el.innerText : '';
      });
      check(target.includes('sleep assumed') && target.includes('Quick return') && target.includes('h on duty'),
        `the shift's detail says why: ${target}`);
      check(await page.locator(':target').isVisible(), 'the detail is open');
      // The officer's own view never shows the draft.
      check((await myShifts(t.officer, w)).length === 0, 'the draft is not shown to the officer');
      await tabletAndPrint(page, 'draft-red-flag');
      await page.setViewportSize({ width: 1280, height: 900 });

      // Swap -1's Tuesday early with -2's Tuesday late.
      const option = async (select, staff, time) => page.locator(`${select} option`, { hasText: new RegExp(`^${staff}: .* ${time}$`) }).getAttribute('value');
      await page.locator('#swap_shift').selectOption(await option('#swap_shift', t.staff[0], '06:00'));
      await page.getByLabel('With').selectOption(await option('#swap_with', t.staff[1], '14:00'));
      await page.getByRole('button', { name: 'Swap' }).click();
      await page.locator('#history li').nth(1).waitFor();
      check(page.url() === draftUrl, 'back on the draft');
      check((await page.locator('#draft-red-flags').innerText()) === '0', 'the red flag is gone after the swap');
      check((await page.locator('#history li').count()) === 2, 'the swap is in the history');
      check((await page.locator('#officer-figures td.changed').count()) > 0, 'what the draft changes is marked');
      await tabletAndPrint(page, 'draft-after-swap');
      await page.setViewportSize({ width: 1280, height: 900 });
      check((await myShifts(t.officer, w)).length === 0, 'still nothing shown to the officer');

      // Another team's supervisor gets nothing, on the page or the API.
      const id = draftUrl.split('/').pop();
      const other = (await api('POST', '/v1/auth/login', null, { force: 'demo', username: 'supervisor-1', password: PASSWORD })).body.access_token;
      const r = await api('GET', `/v1/teams/${t.team}/drafts/${id}`, other);
      check(r.status === 403 && !('comparison' in r.body), `another team's supervisor refused (${r.status})`);

      await page.getByRole('button', { name: 'Publish' }).click();
      await page.locator('#draft-status', { hasText: 'Published' }).waitFor();
      check((await page.locator('#draft-status').innerText()).startsWith('Published'), 'published');
      const published = await myShifts(t.officer, w);
      check(published.length === 2 && published.every((s) => s.includes('T14:00:00')),
        `the officer sees the two published lates: ${published}`);

      // The team page: highest risk first, each cell opening its shift.
      await page.goto(`${base}/dashboard/teams/${t.team}?from=${w.monday}&to=${w.sunday}`);
      const rows = await page.locator('#heat-map tbody th').allInnerTexts();
      check(rows.length === 3 && rows[2].startsWith(t.staff[2]), `officers by highest risk, the one with no duty last: ${rows}`);
      await tabletAndPrint(page, 'team-page');
    }],
    ['publishing a draft over a red flag needs a reason; another supervisor cannot open it', async (page) => {
      const w = nextWeek();
      const t = await setUp();
      const r = await fetch(`${base}/v1/teams/${t.team}/drafts?from=${w.monday}&to=${w.sunday}`, {
        method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${t.supToken}` }, body: csv(t.staff, w),
      });
      const draft = await r.json();
      check(r.status === 201 && draft.comparison.draft_red_flags >= 1, `draft with a red flag (${r.status})`);
      const refused = await api('POST', `/v1/teams/${t.team}/drafts/${draft.id}/publish`, t.supToken, {});
      check(refused.status === 422 && refused.body.code === 'reason_required', `refused without a reason (${refused.status})`);
      check((await myShifts(t.officer, w)).length === 0, 'nothing published');
      await signIn(page, 'demo', 'supervisor-1');
      const p = await page.goto(`${base}/dashboard/teams/${t.team}/drafts/${draft.id}`);
      check(p.status() === 403, `draft page refused to another team's supervisor (${p.status()})`);
    }],
  ];
}

module.exports = { tests };
