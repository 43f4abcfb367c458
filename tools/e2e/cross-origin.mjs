// A page on another origin uses Kiln as a browser would: fetch with X-Auth-Key (a real CORS
// preflight), then EventSource with a stream token until the task completes.
// Usage: node e2e/cross-origin.mjs <page url>   (KILN_CHROMIUM: the browser to drive)
// Prints one JSON line {"title", "console"}: the page's final title says how it went.
// Exit 0 once the page reached a final title ("done:..."), 1 when it never did.
import { chromium } from 'playwright-core';

const [pageUrl] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.KILN_CHROMIUM, args: ['--no-sandbox'] });
const lines = [];
let code = 1;
try {
  const page = await browser.newPage();
  page.on('console', (m) => lines.push(m.type() + ': ' + m.text()));
  page.on('pageerror', (e) => lines.push('pageerror: ' + e.message));
  await page.goto(pageUrl);
  await page.waitForFunction(() => document.title.startsWith('done:'), null, { timeout: 60_000 });
  console.log(JSON.stringify({ title: await page.title(), console: lines }));
  code = 0;
} catch (e) {
  console.log(JSON.stringify({ title: null, error: String(e), console: lines }));
} finally {
  await browser.close();
}
process.exit(code);
