import { chromium } from "playwright-core";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** What headless Chromium saw when it opened a page. */
export interface RenderedPage {
  /** Full-page screenshot (PNG). */
  readonly png: Buffer;
  /** Console messages of type error or warning, uncaught page errors and failed loads. */
  readonly problems: readonly string[];
  /** Every URL the page requested besides itself (a self-contained page requests none). */
  readonly requests: readonly string[];
  /** The page's visible text (document.body.innerText). */
  readonly text: string;
}

/** The Chromium that Debian's `chromium` package installs (.ci/run installs it); override with $ZOPS_CHROMIUM. */
export const chromiumPath = (): string => process.env.ZOPS_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Opens the HTML file at `path` in headless Chromium (a fresh profile that is also its HOME, removed afterwards; no
 * network services, no GPU), optionally with
 * JavaScript disabled, and returns its full-page screenshot, console problems and outside requests (blocked, not
 * fetched). `width` is the viewport width in CSS pixels.
 */
export const renderPage = async (
  path: string,
  options: { javaScript?: boolean; width?: number } = {},
): Promise<RenderedPage> => {
  const profile = await mkdtemp(join(tmpdir(), "zops-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    javaScriptEnabled: options.javaScript ?? true,
    viewport: { width: options.width ?? 1100, height: 800 },
    // Chromium writes crash-report settings under $HOME/.config even with a profile directory: keep it in there.
    env: { ...process.env, HOME: profile, XDG_CONFIG_HOME: profile, XDG_CACHE_HOME: profile },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const url = pathToFileURL(path).href;
    const problems: string[] = [];
    const requests: string[] = [];
    await context.route("**/*", (route) => {
      if (route.request().url() === url) return route.continue();
      requests.push(route.request().url());
      return route.abort();
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning")
        problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("requestfailed", (request) => {
      if (request.url() !== url) problems.push(`failed to load ${request.url()}`);
    });
    await page.goto(url, { waitUntil: "load" });
    const png = await page.screenshot({ fullPage: true, type: "png" });
    const text = await page.locator("body").innerText();
    return { png, problems, requests, text };
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
};
