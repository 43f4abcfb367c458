// The dashboard at / driven in headless Chromium, as a person would use it:
//   node e2e/dashboard.mjs BASE_URL ADMIN_KEY SCREENSHOT_DIR MAIL_OUTBOX
// Signs in, sees a queue, submits a task from the page and watches it complete live (from SSE, no
// reload), opens its output image, follows a task submitted elsewhere on the live list, cancels and
// retries a task (its attempts listed), shows a failed attempt's error and traceback, makes a batch,
// uploads a PNG from the page and upscales it, makes a generic batch from its form (their outputs
// shown), creates an API client, uses its key and revokes it, reads the usage table, makes a prompt into images, picks one and sees its model in the 3D
// viewer, publishes and likes it, runs a task config by hand, sets a queue's limit, pauses a queue
// and drains a worker; then an end user signs in by e-mailed code (read from the node's outbox
// file) and is shown no admin page. One screenshot per step; the first failed step exits 1 saying
// which. Prints TASK, UPSCALED, BATCH, CLIENT, CLIENT_KEY, PUBLISHED, LIMITED, PAUSED and DRAINED lines for the Java test to check.
import { chromium } from 'playwright-core';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [base, key, shots, outbox] = process.argv.slice(2);
if (!base || !key || !shots || !outbox) {
  console.error('usage: node e2e/dashboard.mjs BASE_URL ADMIN_KEY SCREENSHOT_DIR MAIL_OUTBOX');
  process.exit(2);
}
const STEP_MS = 20_000;
const PAUSE = 'model3d';
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({ executablePath: process.env.KILN_CHROMIUM, args: ['--no-sandbox'] });
const pageErrors = [];
async function newPage() {
  const p = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  p.setDefaultTimeout(STEP_MS);
  p.on('pageerror', (e) => pageErrors.push(e.message));
  p.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  p.on('dialog', (d) => d.accept());
  return p;
}
let page = await newPage();

let n = 0;
async function step(name, fn) {
  n += 1;
  const shot = join(shots, `${String(n).padStart(2, '0')}-${name}.png`);
  try {
    await fn();
    if (pageErrors.length) throw new Error('the page logged errors: ' + pageErrors.join(' | '));
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`ok ${n} ${name}`);
  } catch (e) {
    console.error(`FAILED step ${n} "${name}": ${e.message.split('\n')[0]}`);
    await page.screenshot({ path: join(shots, `${String(n).padStart(2, '0')}-${name}-FAILED.png`), fullPage: true }).catch(() => {});
    await browser.close();
    process.exit(1);
  }
}

/** A screenshot within the current step (a form filled in, before it is sent). */
async function shot(name) {
  await page.screenshot({ path: join(shots, `${String(n).padStart(2, '0')}-${name}.png`), fullPage: true });
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

await step('sign-in-page', async () => {
  const res = await page.goto(base + '/');
  expect(res.ok(), `GET / answered ${res.status()}`);
  await page.locator('input[name=api_key]').waitFor();
});

await step('signed-in-queues', async () => {
  await page.fill('input[name=api_key]', key);
  await page.click('form:has(input[name=api_key]) button[type=submit]');
  await page.locator('h1', { hasText: 'Queues' }).waitFor();
  await page.locator('tr[data-queue=image]').waitFor();
  const pending = await page.locator('tr[data-queue=image] [data-field=pending]').textContent();
  expect(/^\d+$/.test(pending.trim()), `the image queue's depth reads "${pending}"`);
});

let taskId;
let png; // the first task's output, a 320×192 PNG: the file the upload steps pick
await step('submitted-from-the-page', async () => {
  await page.click('nav >> text=Submit');
  await page.fill('textarea[name=prompt]', 'a kiln at dusk, seen from the dashboard');
  await page.fill('input[name=width]', '320');
  await page.fill('input[name=height]', '192');
  await page.fill('input[name=seed]', '42');
  await page.click('form button[type=submit]');
  await page.waitForURL(/#\/tasks\/[0-9a-f-]{36}$/);
  taskId = page.url().split('/').pop();
  await page.locator(`section.task[data-task="${taskId}"]`).waitFor();
  // Set after the page loaded: a reload would lose it, so it proves the page updates itself.
  await page.evaluate(() => { window.kilnNoReload = true; });
  console.log(`TASK ${taskId}`);
});

await step('completed-live', async () => {
  await page.locator('.events li[data-event=completed]').waitFor();
  await page.locator('section.task p [data-status=completed]').waitFor();
  expect(await page.evaluate(() => window.kilnNoReload === true), 'the page reloaded to show the completion');
});

await step('output-image', async () => {
  const img = page.locator('figure[data-asset=output] img');
  await img.waitFor();
  await page.waitForFunction(() => {
    const i = document.querySelector('figure[data-asset=output] img');
    return i && i.complete && i.naturalWidth > 0;
  });
  const size = await img.evaluate((i) => [i.naturalWidth, i.naturalHeight]);
  expect(size[0] === 320 && size[1] === 192, `the output image is ${size.join('x')}, not 320x192`);
  const href = await img.evaluate((i) => i.closest('a').href);
  const res = await page.request.get(href);
  expect(res.ok() && res.headers()['content-type'].startsWith('image/png'), `opening the output answered ${res.status()} ${res.headers()['content-type']}`);
  png = await res.body();
});

await step('live-task-list', async () => {
  await page.click('nav >> text=Tasks');
  await page.locator(`tr[data-task="${taskId}"] [data-status=completed]`).waitFor();
  await page.locator('[data-live=live]').waitFor();
  await page.evaluate(() => { window.kilnNoReload = true; });
  // Another client's submit, made behind the page's back: the list must show it and its end.
  const other = await page.evaluate(async (k) => {
    const r = await fetch('/api/v1/tasks', {
      method: 'POST', headers: { 'X-Auth-Key': k, 'Content-Type': 'application/json' },
      body: JSON.stringify({ tool_action: 'debug.sleep', input: { duration_ms: 1500, progress_steps: 3 } }),
    });
    return (await r.json()).id;
  }, key);
  expect(other, 'the behind-the-back submit failed');
  await page.locator(`tr[data-task="${other}"]`).waitFor();
  await page.locator(`tr[data-task="${other}"] [data-status=completed]`).waitFor();
  expect(await page.evaluate(() => window.kilnNoReload === true), 'the list was reloaded by hand');
});

await step('cancel-and-retry', async () => {
  await page.click('nav >> text=Submit');
  await page.check('input[type=radio] >> nth=1');
  await page.fill('input[name=tool_action]', 'debug.sleep');
  await page.fill('textarea[name=input]', '{"duration_ms": 5000, "progress_steps": 5}');
  await page.click('form button[type=submit]');
  await page.waitForURL(/#\/tasks\/[0-9a-f-]{36}$/);
  await page.locator('section.task p [data-status=running]').waitFor();
  await page.click('button:has-text("Cancel")');
  await page.locator('section.task p [data-status=cancelled]').waitFor();
  await page.click('button:has-text("Retry")');
  await page.locator('section.task p [data-status=completed]').waitFor();
  // The attempts are GET /tasks/{id}/attempts' rows, refreshed by the task's events.
  await page.locator('table.attempts tr[data-attempt="2"] [data-status=completed]').waitFor();
  const outcomes = await page.locator('table.attempts [data-status]').allTextContents();
  expect(outcomes.join() === 'cancelled,completed', `the attempts read ${outcomes.join()}, not cancelled,completed`);
});

await step('attempts-with-error', async () => {
  // Its first attempt fails on purpose (thrown, so with a stack trace), the retry succeeds.
  await page.click('nav >> text=Submit');
  await page.check('input[type=radio] >> nth=1');
  await page.fill('input[name=tool_action]', 'debug.sleep');
  await page.fill('textarea[name=input]', '{"duration_ms": 50, "fail_attempts": 1}');
  await page.click('form button[type=submit]');
  await page.waitForURL(/#\/tasks\/[0-9a-f-]{36}$/);
  await page.locator('section.task p [data-status=completed]').waitFor();
  const first = page.locator('table.attempts tr[data-attempt="1"]');
  await first.locator('[data-status=failed]').waitFor();
  await page.locator('table.attempts tr[data-attempt="2"] [data-status=completed]').waitFor();
  const error = await first.locator('pre.attempt-error').textContent();
  expect(error.includes('executor_error') && error.includes('failed attempt 1 on purpose'), `the first attempt's error reads "${error}"`);
  const trace = first.locator('details.traceback');
  expect(!(await trace.locator('pre').isVisible()), 'the traceback is folded until asked for');
  await trace.locator('summary').click();
  const text = await trace.locator('pre').textContent();
  expect(await trace.locator('pre').isVisible() && text.includes('IllegalStateException'), `the traceback reads "${text.slice(0, 80)}"`);
  expect(await page.locator('table.attempts tr[data-attempt="2"] pre.attempt-error').count() === 0, 'the retry that succeeded shows no error');
});

await step('batch-and-history', async () => {
  await page.click('nav >> text=Batches');
  await page.fill('input[name=title]', 'dusk series');
  await page.fill('input[name=prompt]', 'a kiln at dusk');
  await page.fill('input[name=batch_size]', '2');
  await page.click('form:has(input[name=batch_size]) button[type=submit]');
  await page.waitForURL(/#\/batches\/[0-9a-f-]{36}$/);
  await page.locator('section [data-status=completed]').first().waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('.assets img')].filter((i) => i.complete && i.naturalWidth > 0).length === 2);
  await page.click('nav >> text=Batches');
  await page.locator('tr', { hasText: 'dusk series' }).locator('text=2 / 2').waitFor();
});

/** The sizes (naturalWidth×naturalHeight) of the n output images on the page, once all have loaded; each caption must say its own. */
async function outputSizes(n) {
  await page.waitForFunction((count) => [...document.querySelectorAll('.assets figure[data-asset=output] img')]
    .filter((i) => i.complete && i.naturalWidth > 0).length === count, n);
  const shown = await page.locator('.assets figure[data-asset=output]').evaluateAll((fs) => fs.map((f) => ({
    size: `${f.querySelector('img').naturalWidth}×${f.querySelector('img').naturalHeight}`,
    caption: f.querySelector('figcaption').textContent,
  })));
  for (const f of shown) expect(f.caption.includes(f.size), `the caption "${f.caption}" does not give its output's size ${f.size}`);
  return shown.map((f) => f.size).sort();
}

await step('upload-and-hires', async () => {
  // The walk-through's POST /files then image.hires, from the page: the picker beside
  // source_image uploads the PNG and puts its id in the input.
  await page.click('nav >> text=Submit');
  await page.check('input[type=radio] >> nth=1');
  // The actions, their fields and which are images come from GET /tool-actions.
  await page.locator('datalist#tool-actions option[value="image.hires"]').waitFor({ state: 'attached' });
  await page.fill('input[name=tool_action]', 'image.hires');
  const hint = await page.locator('[data-fields="image.hires"]').textContent();
  expect(hint.includes('source_image* string') && hint.includes('scale number 1–4'), `the fields read "${hint}"`);
  await page.locator('input[type=file][name=source_image]').setInputFiles({ name: 'dusk.png', mimeType: 'image/png', buffer: png });
  const uploaded = page.locator('[data-picker=source_image] [data-file]');
  await uploaded.waitFor();
  const file = await uploaded.getAttribute('data-file');
  expect((await uploaded.textContent()).includes('320×192'), `the upload reads "${await uploaded.textContent()}"`);
  const input = JSON.parse(await page.inputValue('textarea[name=input]'));
  expect(input.source_image === file && Object.keys(input).length === 1, `the input reads ${JSON.stringify(input)}`);
  await page.fill('textarea[name=input]', JSON.stringify({ ...input, scale: 2 }));
  await shot('upload-picked');
  await page.click('form button[type=submit]');
  await page.waitForURL(/#\/tasks\/[0-9a-f-]{36}$/);
  await page.locator('section.task p [data-status=completed]').waitFor();
  const sizes = await outputSizes(1);
  expect(sizes.join() === '640×384', `the upscale is ${sizes.join()}, not 640×384`);
  await page.locator('figure[data-asset=input] img').waitFor();
  console.log(`UPSCALED ${page.url().split('/').pop()}`);
});

await step('generic-batch-form', async () => {
  // One tool_action over many items: a line typed by hand (the first task's output as the
  // source: a task's output is the next one's input), then an uploaded image with the parameters given.
  const source = await page.evaluate(async ([k, task]) => (await (await fetch(`/api/v1/tasks/${task}`,
    { headers: { 'X-Auth-Key': k } })).json()).result.outputs[0].asset_id, [key, taskId]);
  await page.click('nav >> text=Batches');
  await page.fill('input[name=batch_tool_action]', 'image.hires');
  await page.fill('input[name=batch_title]', 'upscales from the form');
  await page.fill('textarea[name=batch_items]', JSON.stringify({ source_image: source, scale: 3 }));
  await page.fill('input[name=batch_params]', '{"scale": 2}');
  await page.locator('input[type=file][name=batch_images]').setInputFiles({ name: 'dusk.png', mimeType: 'image/png', buffer: png });
  await page.locator('[data-picker=batch_images] [data-file]').waitFor();
  const lines = (await page.inputValue('textarea[name=batch_items]')).split('\n');
  expect(lines.length === 2 && JSON.parse(lines[1]).scale === 2, `the items read ${lines.join(' | ')}`);
  await shot('batch-form-filled');
  await page.click('form.generic-batch button[type=submit]');
  await page.waitForURL(/#\/batches\/[0-9a-f-]{36}$/);
  await page.locator('h1', { hasText: 'upscales from the form' }).waitFor();
  const sizes = await outputSizes(2);
  expect(sizes.join() === '640×384,960×576', `the outputs are ${sizes.join()}, not 640×384,960×576`);
  await page.locator('section > p [data-status=completed]').waitFor();
  console.log(`BATCH ${page.url().split('/').pop()}`);
});

await step('api-client-created-used-revoked', async () => {
  await page.click('nav >> text=Clients');
  await page.fill('input[name=display_name]', 'partner app');
  await page.selectOption('select[name=role]', 'third_party');
  await page.click('form:has(input[name=display_name]) button[type=submit]');
  const shown = page.locator('.new-key');
  await shown.waitFor();
  const id = await shown.getAttribute('data-client');
  const newKey = await page.inputValue('.new-key [data-field=api-key]');
  // Called from outside the page (an expected 401 inside it would be logged as a page error).
  const me = async (k) => {
    const r = await page.request.get(base + '/api/v1/me', { headers: { 'X-Auth-Key': k } });
    return { status: r.status(), body: await r.json() };
  };
  const before = await me(newKey);
  expect(before.status === 200 && before.body.api_client_id === id && before.body.role === 'third_party',
    `the shown key's GET /me answered ${before.status} ${JSON.stringify(before.body)}`);
  const row = page.locator(`tr[data-client="${id}"]`);
  await row.locator('[data-field=state]', { hasText: 'active' }).waitFor();
  // Copy puts the key on the clipboard as it is (the field may show only its start).
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  await shown.locator('button', { hasText: 'Copy' }).click();
  await shown.locator('button', { hasText: 'Copied' }).waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied === newKey, `the clipboard holds "${copied}", not the key`);
  await shot('api-client-key-shown');
  await row.locator('button', { hasText: 'Revoke' }).click();
  await row.locator('[data-field=state]', { hasText: 'revoked' }).waitFor();
  const after = await me(newKey);
  expect(after.status === 401 && after.body.code === 'unauthorized', `the revoked key's GET /me answered ${after.status} ${JSON.stringify(after.body)}`);
  console.log(`CLIENT ${id}`);
  console.log(`CLIENT_KEY ${newKey}`);
});

await step('usage-table', async () => {
  // The image.hires attempts above are in the last 24 hours' usage, with the admin client's.
  const hires = page.locator('table.usage tr[data-usage="image.hires"]');
  await hires.waitFor();
  const attempts = Number((await hires.locator('td').nth(2).textContent()).trim());
  expect(attempts >= 3, `the usage lists ${attempts} image.hires attempts, not at least 3`);
  await page.locator('table.usage tr[data-tenant=admin]').waitFor();
});

await step('pick-one-to-3d', async () => {
  await page.click('nav >> text=Image → 3D');
  await page.fill('input[name=prompt]', 'a teapot shaped like a kiln');
  await page.fill('input[name=image_count]', '2');
  await page.click('form:has(input[name=image_count]) button[type=submit]');
  await page.waitForURL(/#\/requests\/[0-9a-f-]{36}$/);
  await page.locator('section.request[data-phase=AWAITING_SELECTION]').waitFor();
  await page.fill('input[name=model_name]', 'kiln teapot');
  await page.locator('figure[data-image="1"] button', { hasText: 'Pick' }).click();
  await page.locator('figure.selected[data-image="1"]').waitFor();
  // The model's .glb, drawn by three.js in a WebGL canvas: the viewer counts what it drew.
  const viewer = page.locator('.viewer');
  await viewer.locator('xpath=self::*[@data-phase="shown" or @data-phase="error"]').waitFor();
  expect(await viewer.getAttribute('data-phase') === 'shown', await viewer.textContent());
  expect(Number(await viewer.getAttribute('data-triangles')) > 0, 'the viewer drew no triangles');
  await page.locator('section.request[data-phase=COMPLETED]').waitFor();
});

await step('gallery-3d-viewer', async () => {
  await page.click('button:has-text("Publish to the gallery")');
  await page.waitForURL(/#\/gallery\/[0-9a-f-]{36}$/);
  await page.locator('h1', { hasText: 'kiln teapot' }).waitFor();
  const viewer = page.locator('.viewer');
  await viewer.locator('xpath=self::*[@data-phase="shown" or @data-phase="error"]').waitFor();
  expect(await viewer.getAttribute('data-phase') === 'shown', await viewer.textContent());
  await page.click('button:has-text("Like")');
  await page.locator('button', { hasText: 'Unlike (1)' }).waitFor();
  console.log(`PUBLISHED ${page.url().split('/').pop()}`);
});

await step('schedule-run-by-hand', async () => {
  await page.click('nav >> text=Schedules');
  await page.fill('input[name=name]', 'on demand');
  await page.selectOption('select[name=scheduler_type]', 'MANUAL');
  await page.fill('input[name=task_type]', 'debug.noop');
  await page.click('form:has(input[name=task_type]) button[type=submit]');
  const row = page.locator('tr[data-config]', { hasText: 'on demand' });
  await row.locator('button', { hasText: 'Run now' }).click();
  await page.waitForURL(/#\/tasks\/[0-9a-f-]{36}$/);
  await page.locator('section.task p [data-status=completed]').waitFor();
  await page.goBack();
  await page.click('tr[data-config] a:has-text("on demand")');
  await page.locator('td [data-status=completed]').waitFor();
});

await step('queue-limits', async () => {
  await page.click('nav >> text=Queues');
  const row = page.locator('tr[data-queue=debug]');
  await row.locator('button', { hasText: 'Limits' }).click();
  await page.fill('input[name=max_concurrency]', '12');
  await page.click('form:has(input[name=max_concurrency]) button[type=submit]');
  await row.locator('td', { hasText: '/ 12' }).waitFor();
  // debug.sleep tasks ran above: the last hour's wait and run times read as times, not dashes.
  for (const field of ['wait', 'run']) {
    const text = (await row.locator(`[data-field=${field}]`).textContent()).trim();
    expect(/^\d+(\.\d)? (ms|s|min) \/ \d+(\.\d)? (ms|s|min)$/.test(text), `the debug queue's ${field} times read "${text}"`);
  }
  console.log('LIMITED debug');
});

await step('queue-paused', async () => {
  await page.click('nav >> text=Queues');
  const row = page.locator(`tr[data-queue=${PAUSE}]`);
  await row.locator('button', { hasText: 'Pause' }).click();
  await row.locator('[data-field=state]', { hasText: 'paused' }).waitFor();
  await row.locator('button', { hasText: 'Resume' }).waitFor();
  console.log(`PAUSED ${PAUSE}`);
});

await step('worker-drained', async () => {
  await page.click('nav >> text=Workers');
  const row = page.locator('tr[data-worker]').first();
  await row.waitFor();
  const worker = await row.getAttribute('data-worker');
  // This machine has no GPU: the worker says so rather than showing a made-up figure.
  const use = (await row.locator('[data-field=gpu-utilization]').textContent()).trim();
  expect(use === '—', `a worker without a GPU shows its utilisation as "${use}"`);
  await row.locator('button', { hasText: 'Drain' }).click();
  await row.locator('[data-field=status]', { hasText: 'draining' }).waitFor();
  console.log(`DRAINED ${worker}`);
});

/** The newest code mailed to `email`, from the outbox a node without SMTP relay keeps. */
async function mailedCode(email) {
  const mail = new RegExp(`To: ${email.replace(/[.+]/g, '\\$&')}\\nSubject: [^\\n]*?(\\d{6})`, 'g');
  for (const until = Date.now() + STEP_MS; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
    if (!existsSync(outbox)) continue;
    const codes = [...readFileSync(outbox, 'utf8').matchAll(mail)];
    if (codes.length) return codes[codes.length - 1][1];
  }
  throw new Error(`no code for ${email} in ${outbox}`);
}

await step('end-user-e-mail-code', async () => {
  page = await newPage(); // a fresh tab: sessionStorage is per tab, so nobody is signed in
  await page.goto(base + '/');
  const email = 'ada@example.com';
  await page.fill('input[name=email]', email);
  await page.click('form:has(input[name=email]) button[type=submit]');
  await page.locator('input[name=code]').waitFor();
  await page.fill('input[name=code]', await mailedCode(email));
  await page.click('form:has(input[name=email]) button[type=submit]');
  await page.locator('h1', { hasText: 'Tasks' }).waitFor();
  await page.locator('.who', { hasText: email }).waitFor();
  const nav = await page.locator('nav a').allTextContents();
  expect(!nav.includes('Queues') && !nav.includes('Workers') && !nav.includes('Clients'), `an end user is shown admin pages: ${nav.join(', ')}`);
});

await browser.close();
console.log(`dashboard: ${n} steps passed`);
