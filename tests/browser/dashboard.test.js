// End-to-end tests of the web dashboard in headless Chromium (Debian's
// chromium driven by playwright-core). Usage: node dashboard.test.js URL SHOTS_DIR
// against a running `server demo`. Prints "N passed, M failed" and exits
// non-zero on any failure.
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const base = process.argv[2];
const shots = process.argv[3] || 'screenshots';
const PASSWORD = 'demo-password-1';
fs.mkdirSync(shots, { recursive: true });

let passed = 0;
let failed = 0;
function check(cond, what) {
  if (!cond) throw new Error(`expected: ${what}`);
}

async function api(method, url, token, body) {
  const r = await fetch(base + url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function signIn(page, force, username) {
  await page.goto(`${base}/dashboard/sign-in`);
  await page.getByLabel('Force').fill(force);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/dashboard`);
}

// Chooses a roster file for Response team 1 on the force admin page and submits it.
async function uploadRosterFile(page, name, mimeType, text) {
  await page.getByLabel('Team', { exact: true }).selectOption({ label: 'Response team 1' });
  await page.getByLabel('Roster file (CSV or iCalendar)').setInputFiles({ name, mimeType, buffer: Buffer.from(text) });
  await page.getByRole('button', { name: 'Upload roster' }).click();
}

async function main() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  // An NPWS analyst for the national pages (the demo seeds force roles only).
  const admin = await api('POST', '/v1/auth/login', null, { username: 'admin', password: PASSWORD });
  const analyst = await api('POST', '/v1/admin/analysts', admin.body.access_token,
    { username: 'analyst-1', password: PASSWORD });
  if (![201, 409].includes(analyst.status)) throw new Error(`create analyst: ${analyst.status}`);

  const tests = [
    ['unsigned visitors are sent to sign-in; a wrong password is refused', async (page) => {
      await page.goto(`${base}/dashboard/teams`);
      check(page.url().endsWith('/dashboard/sign-in'), 'redirect to sign-in');
      await page.getByLabel('Force').fill('demo');
      await page.getByLabel('Username').fill('supervisor-1');
      await page.getByLabel('Password').fill('wrong-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      check(await page.getByRole('alert').isVisible(), 'error shown');
      const cookies = await page.context().cookies();
      check(!cookies.some((c) => c.name === 'fatigue_session'), 'no session cookie');
    }],
    ['supervisor sees their teams heat map and flags, runs a what-if, and nothing else', async (page) => {
      await signIn(page, 'demo', 'supervisor-1');
      const cookie = (await page.context().cookies()).find((c) => c.name === 'fatigue_session');
      check(cookie && cookie.httpOnly && cookie.sameSite === 'Strict' && cookie.secure, 'HttpOnly SameSite=Strict Secure cookie');
      const nav = await page.getByRole('navigation', { name: 'Main' }).innerText();
      check(nav.includes('Team risk') && !nav.includes('Reports') && !nav.includes('Force admin'), `supervisor nav: ${nav}`);
      await page.getByRole('link', { name: 'Team risk', exact: true }).click();
      const teams = await page.locator('table tbody tr').count();
      check(teams === 2, `supervises 2 teams, saw ${teams}`);
      await page.getByRole('link', { name: 'Response team 1' }).click();
      await page.locator('#heat-map').waitFor();
      const officers = await page.locator('#heat-map tbody tr').count();
      check(officers > 0, 'heat map has officers');
      const filled = await page.locator('#heat-map td.low, #heat-map td.raised, #heat-map td.high').count();
      check(filled > 0, 'heat map has shift cells');
      await page.screenshot({ path: path.join(shots, 'supervisor-heat-map.png'), fullPage: true });
      // What-if: remove the first listed shift.
      const option = await page.locator('#remove option').nth(1).getAttribute('value');
      const staff = option.split('|')[0];
      await page.getByLabel('Officer').selectOption(staff);
      await page.getByLabel('Remove a shift (optional)').selectOption(option);
      await page.getByRole('button', { name: 'Show the effect' }).click();
      await page.getByRole('heading', { name: `What-if for ${staff}` }).waitFor();
      const before = await page.locator('table.what-if').nth(0).locator('tbody tr').count();
      const after = await page.locator('table.what-if').nth(1).locator('tbody tr').count();
      check(after === before - 1, `one shift fewer after the change (${before} -> ${after})`);
      await page.screenshot({ path: path.join(shots, 'supervisor-what-if.png'), fullPage: true });
      // Another team of the force, and the FRM pages, are refused.
      await page.goto(`${base}/dashboard/teams`);
      const r = await page.goto(`${base}/dashboard/reports`);
      check(r.status() === 403, `reports refused for a supervisor (${r.status()})`);
      const a = await page.goto(`${base}/dashboard/admin`);
      check(a.status() === 403, `admin refused for a supervisor (${a.status()})`);
    }],
    ['supervisor opens the learning track, answers a self-check and sees the explanations', async (page) => {
      await signIn(page, 'demo', 'supervisor-1');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Learning' }).click();
      const before = await page.locator('#learning-progress').innerText();
      check((await page.locator('#modules tbody tr').count()) >= 5, 'the supervisor modules are listed');
      await page.locator('#modules tbody tr a').first().click();
      const fieldsets = page.locator('#self-check fieldset');
      const n = await fieldsets.count();
      check(n >= 2, `self-check questions (${n})`);
      check((await fieldsets.locator('legend').count()) === n, 'each question has a legend');
      // Keyboard: focus the first option and choose it with the space bar.
      await fieldsets.nth(0).locator('input[type=radio]').first().focus();
      await page.keyboard.press('Space');
      check(await fieldsets.nth(0).locator('input[type=radio]').first().isChecked(), 'space chooses an option');
      for (let i = 1; i < n; i += 1) await fieldsets.nth(i).locator('input[type=radio]').first().check();
      await page.getByRole('button', { name: 'Check my answers' }).click();
      const feedback = await page.locator('#feedback').innerText();
      check(/Your answers: \d of \d right/.test(feedback), `score shown: ${feedback}`);
      check((await page.locator('#feedback .explanation').count()) === n, 'every question is explained');
      const status = await page.locator('#module-status').innerText();
      check(['Started', 'Completed'].includes(status), `attempt recorded (${status})`);
      await page.screenshot({ path: path.join(shots, 'supervisor-learning-module.png'), fullPage: true });
      await page.getByRole('link', { name: 'All modules' }).click();
      const row = await page.locator('#modules tbody tr').first().innerText();
      check(/Started|Completed/.test(row), `progress shown on the list: ${row} (before: ${before})`);
      await page.screenshot({ path: path.join(shots, 'supervisor-learning.png'), fullPage: true });
    }],
    ['force admin issues an enrolment code and uploads a roster with per-line errors', async (page) => {
      await signIn(page, 'demo', 'force-admin');
      await page.getByRole('link', { name: 'Force admin' }).first().click();
      // Every demo officer has enrolled: a code for one of them is refused
      // (it would attach a new phone to that officer), with the reason.
      await page.getByLabel('Staff number', { exact: true }).fill('D00001');
      await page.getByRole('button', { name: 'Issue code' }).click();
      check((await page.locator('#code-refused').innerText()).includes('enrolled already'), 'no code for an enrolled officer');
      check((await page.locator('#issued-code').count()) === 0, 'and no code is shown');
      await page.getByLabel('Staff number', { exact: true }).fill('D09999');
      await page.getByRole('button', { name: 'Issue code' }).click();
      const code = await page.locator('#issued-code').innerText();
      check(code.length >= 12, 'a code is shown');
      await page.getByLabel('Team', { exact: true }).selectOption({ label: 'Response team 1' });
      await page.getByLabel('Or paste a roster CSV').fill('staff_id,start,end\nD00001,2030-01-06T07:00,2030-01-06T17:00\nD00001,not-a-time,2030-01-07T17:00\nD00002,2030-01-08T07:00,2030-01-08T99:00\n');
      await page.getByRole('button', { name: 'Upload roster' }).click();
      const rows = await page.locator('#roster-errors tbody tr').count();
      check(rows === 2, `two bad lines reported (${rows})`);
      const text = await page.locator('#roster-errors').innerText();
      check(text.includes('not-a-time') && text.includes('99:00'), 'each bad value is named with its line and column');
      await page.screenshot({ path: path.join(shots, 'admin-roster-errors.png'), fullPage: true });
      await page.getByLabel('Or paste a roster CSV').fill('staff_id,start,end\nD00001,2030-01-06T07:00,2030-01-06T17:00\nD00002,2030-01-06T22:00,2030-01-07T08:00\n');
      await page.getByRole('button', { name: 'Upload roster' }).click();
      check((await page.locator('#roster-stored').innerText()).includes('Stored 2'), 'two shifts stored');
      // The same form takes a file: a bad CSV file shows its per-line errors ...
      await uploadRosterFile(page, 'bad-roster.csv', 'text/csv',
        'staff_id,start,end\nD00001,2030-02-03T07:00,2030-02-03T17:00\nD00001,2030-02-04T07:00,yesterday\nD00002,2030-02-31T07:00,2030-02-05T17:00\n');
      const fileErrors = await page.locator('#roster-errors').innerText();
      check((await page.locator('#roster-errors tbody tr').count()) === 2, `two bad lines in the file: ${fileErrors}`);
      check(fileErrors.includes('yesterday') && fileErrors.includes('2030-02-31T07:00'), 'each file error is named with its line');
      check((await page.getByRole('alert').innerText()).includes('in bad-roster.csv'), 'the file is named');
      await page.screenshot({ path: path.join(shots, 'admin-roster-file-errors.png'), fullPage: true });
      // ... and an iCalendar file is stored.
      await uploadRosterFile(page, 'week.ics', 'text/calendar',
        'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nX-STAFF-ID:D00001\r\nDTSTART;TZID=Europe/London:20300210T070000\r\nDTEND;TZID=Europe/London:20300210T170000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n');
      const stored = await page.locator('#roster-stored').innerText();
      check(stored.includes('Stored 1') && stored.includes('iCalendar'), `ics stored: ${stored}`);
      const r = await page.goto(`${base}/dashboard/npws`);
      check(r.status() === 403, 'national pages refused for a force admin');
    }],
    ['force admin creates a team in a command and sets its members', async (page) => {
      await signIn(page, 'demo', 'force-admin');
      await page.goto(`${base}/dashboard/admin`);
      await page.getByLabel('Team name').fill('Roads policing unit');
      await page.getByLabel('Command (BCU, division or directorate)').fill('Operations');
      await page.getByLabel('What the team does').selectOption({ label: 'roads policing' });
      await page.getByRole('button', { name: 'Create team' }).click();
      check((await page.locator('#team-saved').innerText()).includes('Roads policing unit'), 'team saved');
      const row = await page.locator('#teams tr', { hasText: 'Roads policing unit' }).innerText();
      check(row.includes('Operations') && row.includes('roads policing'), `command and function shown: ${row}`);
      await page.getByLabel("Members' team").selectOption({ label: 'Roads policing unit' });
      await page.getByLabel("Members' staff numbers").fill('D00011, D00012\nD00013');
      await page.getByRole('button', { name: 'Save members' }).click();
      const members = await page.locator('#teams tr', { hasText: 'Roads policing unit' }).innerText();
      check(members.includes('D00011') && members.includes('D00013'), `members saved: ${members}`);
      // The same name again is refused with a message, and nothing changes.
      await page.getByLabel('Team name').fill('Roads policing unit');
      await page.getByRole('button', { name: 'Create team' }).click();
      check((await page.getByRole('alert').innerText()).includes('Nothing was changed'), 'duplicate name refused');
      check((await page.locator('#teams tr', { hasText: 'Roads policing unit' }).count()) === 1, 'still one such team');
      await page.screenshot({ path: path.join(shots, 'admin-teams.png'), fullPage: true });
    }],
    ['FRM lead changes the schedule, makes a report and opens it', async (page) => {
      await signIn(page, 'demo', 'frm-lead');
      await page.getByRole('link', { name: 'Reports' }).first().click();
      await page.getByLabel('Cron expression (minute hour day month weekday)').fill('30 7 * * TUE');
      await page.getByRole('button', { name: 'Save schedule' }).click();
      check((await page.locator('#cron').innerText()) === '30 7 * * TUE', 'schedule saved');
      // Building the report runs the engine over every rostered officer (debug build: slow).
      await page.getByRole('button', { name: 'Make report' }).click({ timeout: 180000 });
      await page.waitForURL(/report\.html$/, { timeout: 180000 });
      const html = await page.content();
      check(html.includes('<svg'), 'report has SVG charts');
      check((await page.locator('table caption').count()) > 0, 'report tables have captions');
      const commands = await page.locator('tr.level-1 th').allInnerTexts();
      check(['North', 'South', 'Crime', 'Contact'].every((c) => commands.includes(c)), `report rows by command: ${[...new Set(commands)]}`);
      check(html.includes('People by weekly rest') && html.includes('Officer learning course'), 'new indicator and learning tables');
      await page.screenshot({ path: path.join(shots, 'frm-report.png'), fullPage: true });
      await page.goto(`${base}/dashboard/reports`);
      check((await page.locator('#runs tbody tr').count()) >= 1, 'the run is listed');
      check(await page.locator('#trend').isVisible(), 'trend shown');
      await page.screenshot({ path: path.join(shots, 'frm-reports.png'), fullPage: true });
      const csvHref = await page.locator('#runs a', { hasText: 'CSV' }).first().getAttribute('href');
      const csv = await page.request.get(base + csvHref);
      check(csv.status() === 200 && (await csv.text()).includes(','), 'CSV download');
    }],
    ['NPWS analyst sees only national aggregates and can export CSV', async (page) => {
      await signIn(page, '', 'analyst-1');
      const nav = await page.getByRole('navigation', { name: 'Main' }).innerText();
      check(nav.includes('National overview') && !nav.includes('Team risk'), `analyst nav: ${nav}`);
      await page.getByRole('link', { name: 'National overview' }).first().click();
      const text = await page.locator('#overview').innerText();
      check(text.includes('demo'), 'demo force row');
      check(!/D0\d{4}/.test(await page.content()), 'no staff numbers on the page');
      await page.screenshot({ path: path.join(shots, 'npws-overview.png'), fullPage: true });
      const r = await page.goto(`${base}/dashboard/teams`);
      check(r.status() === 403, 'team pages refused for an analyst');
    }],
    ['NPWS analyst sees cohorts and comparisons across both demo forces, with no individual', async (page) => {
      await signIn(page, '', 'analyst-1');
      await page.getByRole('link', { name: 'Cohorts', exact: true }).first().click();
      await page.locator('#cohorts').waitFor();
      const cohorts = await page.locator('#cohorts thead th[scope=col]').count() - 1;
      check(cohorts >= 1, `at least one cohort (${cohorts})`);
      const sizes = await page.locator('#cohorts tbody tr').first().locator('td').allInnerTexts();
      check(sizes.length === cohorts && sizes.every((n) => Number(n) >= 20), `cohort sizes ${sizes}`);
      check((await page.locator('#cohorts caption').innerText()).includes('chosen by silhouette'), 'caption says how k was chosen');
      check(await page.locator('#cohorts tbody th[scope=row]').count() === 11, 'people, share and 9 features');
      check(!/[DW]\d{5}|[0-9a-f]{8}-[0-9a-f]{4}-/.test(await page.content()), 'no staff numbers or ids on the page');
      await page.screenshot({ path: path.join(shots, 'npws-cohorts.png'), fullPage: true });
      const csvHref = await page.getByRole('link', { name: 'Export cohorts as CSV' }).getAttribute('href');
      const csv = await page.request.get(base + csvHref);
      check(csv.status() === 200 && (await csv.text()).includes('cohort 1,size'), 'cohort CSV');

      await page.getByRole('link', { name: 'Comparisons', exact: true }).first().click();
      await page.locator('#comparisons').waitFor();
      const byForce = await page.locator('#comparisons').innerText();
      check(byForce.includes('demo-west') && byForce.includes('All forces'), 'both forces compared');
      await page.getByLabel('Compare by').selectOption('force_function');
      await page.getByRole('button', { name: 'Compare' }).click();
      await page.locator('#comparisons').waitFor();
      const both = await page.locator('#comparisons').innerText();
      check(both.includes('control room') && both.includes('investigation'), 'functions compared');
      check(both.includes('[c]'), 'small groups withheld');
      check(!/[DW]\d{5}/.test(await page.content()), 'no staff numbers');
      await page.screenshot({ path: path.join(shots, 'npws-comparisons.png'), fullPage: true });
      const cmpHref = await page.getByRole('link', { name: 'Export this comparison as CSV' }).getAttribute('href');
      const cmp = await page.request.get(base + cmpHref);
      check(cmp.status() === 200 && (await cmp.text()).startsWith('table,level,row,column,value,suppressed'), 'comparison CSV');
    }],
    ['a supervisor cannot open the NPWS cohort or comparison pages', async (page) => {
      await signIn(page, 'demo', 'supervisor-1');
      const nav = await page.getByRole('navigation', { name: 'Main' }).innerText();
      check(!nav.includes('Cohorts') && !nav.includes('Comparisons'), `supervisor nav: ${nav}`);
      for (const p of ['/dashboard/npws/cohorts', '/dashboard/npws/comparisons', '/dashboard/npws/cohorts.csv',
        '/dashboard/npws/comparisons.csv?by=force']) {
        const r = await page.goto(base + p);
        check(r.status() === 403, `${p} refused (${r.status()})`);
      }
      await page.screenshot({ path: path.join(shots, 'npws-refused-supervisor.png'), fullPage: true });
    }],
    ['sign-out ends the session; a forged form without the CSRF token is refused', async (page) => {
      await signIn(page, 'demo', 'frm-lead');
      const forged = await page.request.post(`${base}/dashboard/reports/schedule`, {
        form: { csrf: 'forged', cron: '0 0 * * *', time_zone: 'Europe/London', period_days: '7' },
      });
      check(forged.status() === 403, `forged POST refused (${forged.status()})`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/sign-in$/);
      await page.goto(`${base}/dashboard/reports`);
      check(page.url().endsWith('/dashboard/sign-in'), 'signed out');
    }],
    ['pages are keyboard reachable with visible labels', async (page) => {
      await page.goto(`${base}/dashboard/sign-in`);
      check((await page.getAttribute('html', 'lang')) === 'en-GB', 'lang en-GB');
      await page.keyboard.press('Tab');
      const first = await page.evaluate(() => document.activeElement.textContent);
      check(first.includes('Skip to main content'), 'skip link first');
      const unlabeled = await page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter((el) => !el.labels || el.labels.length === 0).length);
      check(unlabeled === 0, 'every field has a label');
    }],
  ];
  // Draft rosters and the team page (issue 20), with the same helpers.
  tests.push(...require('./drafts.test.js').tests({ base, shots, check, api, signIn, path, PASSWORD }));

  for (const [name, fn] of tests) {
    const page = await context.newPage();
    await context.clearCookies();
    try {
      await fn(page);
      passed += 1;
      console.log(`ok - ${name}`);
    } catch (e) {
      failed += 1;
      console.log(`FAILED - ${name}: ${e.message}`);
      await page.screenshot({ path: path.join(shots, `failed-${passed + failed}.png`), fullPage: true }).catch(() => {});
    } finally {
      await page.close();
    }
  }
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

main()
  .catch((e) => { failed += 1; console.log(`FAILED - setup: ${e.message}`); })
  .finally(() => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed === 0 ? 0 : 1);
  });
