import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** A PHP notice, warning, deprecation or fatal error printed into a page (WP_DEBUG_DISPLAY is on). */
export const PHP_PROBLEM =
  /<b>(Notice|Warning|Deprecated|Fatal error|Parse error)<\/b>:|(PHP )?(Notice|Warning|Deprecated|Fatal error): .* in \/.* on line \d+/;

/** axe-core's browser bundle, injected into each page (no CDN). */
export const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * axe-core's serious and critical violations (WCAG 2.x A/AA rules and best practices) within
 * `scope`, the page's own content: WordPress's toolbar and admin menu are core's, not the page's
 * (WordPress 6.1's "Collapse menu" button fails label-content-name-mismatch on every screen).
 */
export async function seriousViolations(page: Page, scope: string): Promise<Violation[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const found = await page.evaluate(async (scope) => {
    const g = globalThis as unknown as {
      axe: {
        run(
          ctx: unknown,
          opts: unknown,
        ): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }>;
      };
    };
    const r = await g.axe.run({ include: [[scope]] }, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  }, scope);
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Collects console errors and uncaught page errors from now on. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/**
 * Signs `user` in through wp-login.php in `context` (its cookies are then that user's session).
 * The login page's own address names profile.php (in redirect_to), so it waits for the path,
 * and for the page to finish loading: a page closed mid-navigation can leave Chromium's close
 * waiting forever.
 */
export async function logInToWordPress(context: BrowserContext, siteUrl: string, user: string, password: string): Promise<void> {
  const page = await context.newPage();
  await page.goto(`${siteUrl}/wp-login.php?redirect_to=${encodeURIComponent(`${siteUrl}/wp-admin/profile.php`)}`);
  await page.fill('#user_login', user);
  await page.fill('#user_pass', password);
  await Promise.all([page.waitForURL((url) => url.pathname.endsWith('/wp-admin/profile.php')), page.click('#wp-submit')]);
  await page.close();
}
