// The dashboard in a real browser (Debian's chromium, driven by playwright-core) against a real
// hub: agents joining, changing status and leaving; memory entries, broadcasts and tasks between
// agents arriving live; the token form of a secured hub. Screenshots go to test/artifacts/.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@switchboard/client/node';
import type { Hub as Agent, HelloSession, OfferedTask } from '@switchboard/client/node';
import { buildDashboard } from '../../dashboard/build.js';
import { SECRET, token, useHubs } from '../hub/support.js';

const CHROMIUM = process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
/** CI sets this so that a missing chromium fails the run instead of skipping the suite. */
const REQUIRE_CHROMIUM = process.env.SWITCHBOARD_REQUIRE_CHROMIUM === '1';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
/** The page should show a change within a second; the bound leaves room for a loaded CI machine. */
const LIVE_MS = 3000;

if (!HAS_CHROMIUM && !REQUIRE_CHROMIUM) {
  console.warn(`\n*** ${CHROMIUM} not found: the dashboard browser tests are SKIPPED (apt-get install chromium). ***\n`);
}

describe.skipIf(!HAS_CHROMIUM && !REQUIRE_CHROMIUM)('the dashboard in chromium', () => {
  const { hub: startHub, cleanup } = useHubs();
  let browser: Browser;

  beforeAll(async () => {
    // The hub serves dashboard/dist; build it from the current sources (what `npm ci` does).
    await buildDashboard();
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** A page whose script errors and console errors (CSP violations among them) fail the test. */
  async function open(context: BrowserContext, url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => void (msg.type() === 'error' && errors.push(`console: ${msg.text()} @ ${JSON.stringify(msg.location())}`)));
    await page.goto(url);
    return { page, errors };
  }

  async function agent(url: string, session: HelloSession, jwt?: string): Promise<Agent> {
    const hub = await connect({ url, session, ...(jwt && { token: jwt }), reconnect: false });
    cleanup(() => hub.close());
    return hub;
  }

  /** Waits (bounded) until `selector` is visible; resolves with how long it took. */
  async function shows(page: Page, selector: string, timeout = LIVE_MS): Promise<number> {
    const started = Date.now();
    await page.locator(selector).first().waitFor({ state: 'visible', timeout });
    return Date.now() - started;
  }

  async function gone(page: Page, selector: string, timeout = LIVE_MS): Promise<number> {
    const started = Date.now();
    await page.locator(selector).first().waitFor({ state: 'detached', timeout });
    return Date.now() - started;
  }

  const text = (page: Page, selector: string) => page.locator(selector).first().innerText();

  it('shows sessions, status changes, leaves, memory and broadcasts live', async () => {
    const hub = await startHub({ resumeWindowMs: 0 });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
    cleanup(() => context.close());
    const { page, errors } = await open(context, `${hub.httpUrl}/`);
    await shows(page, '#conn[data-state="connected"]', 10_000);
    expect(await text(page, '#conn')).toContain(hub.nodeId);

    const alice = await agent(hub.url, { id: 'alice', name: 'alice', agentType: 'claude', user: 'dana', location: '/srv/api', capabilities: ['plan', 'code'], status: 'working', task: 'write the parser' });
    const bob = await agent(hub.url, { id: 'bob', name: 'bob', agentType: 'codex', capabilities: ['review'], task: 'review PR 42' });
    const latency: Record<string, number> = {};
    latency.join = await shows(page, '[data-session-id="alice"][data-status="working"]');
    await shows(page, '[data-session-id="bob"][data-status="active"]');
    expect(await text(page, '[data-session-id="alice"] .task')).toBe('write the parser');
    expect(await text(page, '[data-session-id="bob"] .task')).toBe('review PR 42');
    expect(await text(page, '[data-group="working"]')).toContain('alice');
    expect(await text(page, '[data-group="active"]')).toContain('bob');
    // The dashboard watches without being listed.
    expect(await page.locator('.session').count()).toBe(2);
    expect(await text(page, '#sessions-summary')).toBe('2 agents · 1 watching');

    // Online-for ticks every second.
    const before = await text(page, '[data-session-id="alice"] .online');
    await page.waitForFunction(
      (was) => document.querySelector('[data-session-id="alice"] .online')?.textContent !== was,
      before, { timeout: 2500 },
    );

    // A status change moves bob to another group.
    const updated = Date.now();
    await bob.update({ status: 'idle', task: 'waiting for CI' });
    await shows(page, '[data-group="idle"] [data-session-id="bob"]');
    latency.update = Date.now() - updated;
    expect(await text(page, '[data-session-id="bob"] .task')).toBe('waiting for CI');

    // Memory: the current entries, then live writes, filtered by the search.
    await alice.memory.set('plan/owner', { owner: 'bob', since: 'today' }, { kind: 'decision', tags: ['plan'] });
    latency.memory = await shows(page, '[data-key="plan/owner"][data-version="1"]');
    expect(await text(page, '[data-key="plan/owner"]')).toContain('decision');
    await bob.memory.set('plan/owner', { owner: 'bob', since: 'today', confirmed: true }, { kind: 'decision', tags: ['plan'], ifVersion: 1 });
    await shows(page, '[data-key="plan/owner"][data-version="2"]');
    expect(await text(page, '[data-key="plan/owner"]')).toContain('confirmed');
    await page.fill('input[name="prefix"]', 'notes/');
    await gone(page, '[data-key="plan/owner"]');
    await alice.memory.set('plan/steps', ['parse', 'review'], { kind: 'state' });
    await alice.memory.set('notes/standup', 'parser done by noon', { kind: 'note' });
    await shows(page, '[data-key="notes/standup"]');
    expect(await page.locator('[data-key="plan/steps"]').count()).toBe(0);
    await page.fill('input[name="prefix"]', '');
    await shows(page, '[data-key="plan/steps"]');
    await shows(page, '[data-key="plan/owner"]');

    // Broadcasts land in the feed.
    await alice.broadcast({ event: 'deploy', env: 'staging' }, { kind: 'notification' });
    latency.broadcast = await shows(page, '[data-feed="broadcast"]');
    const item = await text(page, '[data-feed="broadcast"]');
    expect(item).toContain('alice');
    expect(item).toContain('deploy');

    // Tasks: the board shows every task of the namespace, here one between two agents, as it
    // moves from offered to accepted to completed; each change also lands in the feed.
    const offered = new Promise<OfferedTask>((resolve) => bob.on('task', resolve));
    const review = await alice.handoff({ title: 'Review the parser', body: { pr: 7 } }, { to: 'bob' }, { acceptMs: 60_000 });
    latency.task = await shows(page, `.column[data-state="offered"] [data-task-id="${review.id}"]`);
    expect(await text(page, `[data-task-id="${review.id}"]`)).toContain('Review the parser');
    const offer = await offered;
    await offer.accept();
    await shows(page, `.column[data-state="accepted"] [data-task-id="${review.id}"]`);
    expect(await text(page, `[data-task-id="${review.id}"]`)).toContain('held by bob');
    await offer.complete({ approved: true });
    await shows(page, `.column[data-state="completed"] [data-task-id="${review.id}"]`);
    expect(await page.locator(`[data-task-id="${review.id}"]`).count()).toBe(1);
    await shows(page, '[data-feed="task"]:has-text("Review the parser"):has-text("completed")');
    expect(await page.locator('.tasks-panel .note').count()).toBe(0);

    // The dashboard takes no work: a task handed to it is declined at once, so its creator learns at once.
    const dashboard = (await alice.sessions()).find((s) => s.agentType === 'dashboard')!;
    const handed = await alice.handoff({ title: 'Ship the parser' }, { to: dashboard.id }, { acceptMs: 60_000 });
    const ended = await handed.done;
    expect(ended.state).toBe('declined');
    await shows(page, `.column[data-state="declined"] [data-task-id="${handed.id}"]`);
    expect(await text(page, `[data-task-id="${handed.id}"]`)).toContain('Ship the parser');
    await shows(page, '[data-feed="task"]:has-text("declined")');
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });

    // bob leaves (at once: no resume window), alice is still there.
    await bob.close();
    latency.leave = await gone(page, '[data-session-id="bob"]');
    await shows(page, '[data-feed="presence"]:has-text("left")');
    expect(await page.locator('.session').count()).toBe(1);
    expect(await text(page, '#sessions-summary')).toBe('1 agent · 1 watching');

    // The same page on a phone, in dark mode.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, colorScheme: 'dark', isMobile: true, hasTouch: true });
    cleanup(() => phone.close());
    const mobile = await open(phone, `${hub.httpUrl}/`);
    await shows(mobile.page, '[data-session-id="alice"]', 10_000);
    await shows(mobile.page, '[data-key="plan/owner"]');
    await mobile.page.screenshot({ path: `${ARTIFACTS}dashboard-phone.png`, fullPage: true });
    const overflow = await mobile.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, 'no sideways scrolling on a phone').toBeLessThanOrEqual(0);

    console.log(`dashboard latency (ms): ${JSON.stringify(latency)}`);
    expect(errors).toEqual([]);
    expect(mobile.errors).toEqual([]);
  });

  it('asks for a token when the hub needs one, and connects with a valid one', async () => {
    const hub = await startHub({ secret: SECRET });
    const context = await browser.newContext({ viewport: { width: 1024, height: 700 } });
    cleanup(() => context.close());
    const { page, errors } = await open(context, `${hub.httpUrl}/`);
    await shows(page, '#token-dialog[open]', 10_000);
    await shows(page, '#conn[data-state="locked"]');

    await page.fill('#token-input', await token({ ns: 'team' }, { secret: 'some-other-secret-0123456789' }));
    await page.click('#token-dialog button[type="submit"]');
    await shows(page, '#token-error:has-text("refused")');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-token.png` });

    const jwt = await token({ ns: 'team' });
    await page.fill('#token-input', jwt);
    await page.click('#token-dialog button[type="submit"]');
    await shows(page, '#conn[data-state="connected"]');
    await gone(page, '#token-dialog[open]');
    expect(await page.evaluate(() => sessionStorage.getItem('switchboard.token'))).toBe(jwt);
    await agent(hub.url, { id: 'carol', name: 'carol', task: 'triage' }, jwt);
    await shows(page, '[data-session-id="carol"]');

    // ?token= works too, and leaves the address bar.
    const linked = await open(context, `${hub.httpUrl}/?token=${encodeURIComponent(jwt)}&view=1`);
    await shows(linked.page, '[data-session-id="carol"]');
    expect(new URL(linked.page.url()).search).toBe('?view=1');
    expect(errors.filter((e) => !e.includes('401'))).toEqual([]);
    expect(linked.errors).toEqual([]);
  });
});
