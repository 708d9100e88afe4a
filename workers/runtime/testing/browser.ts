// A real Chromium for dashboard tests: Debian's package (scripts/ensure-chromium.sh installs
// it), driven through playwright-core. Every person logs in through auth's login page in a
// browser context of their own, so their cookie is theirs alone.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'

const root = fileURLToPath(new URL('../../../', import.meta.url))

/** Where a test run leaves its screenshots for a person to look at (gitignored). */
export const SCREENSHOTS = join(root, '.screenshots')

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.ATES_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ARGS })
}

export type Person = { context: BrowserContext; page: Page; close(): Promise<void> }

/** What Chromium reported against the pages' Content-Security-Policy, from every person's page. */
export const cspViolations: string[] = []

/**
 * Opens `startUrl` as a new person; the dashboard sends them to auth's login page, where
 * they type their email and beak, and auth sends them back.
 */
export async function logIn(browser: Browser, startUrl: string, email: string, beak: string, viewport = { width: 1100, height: 800 }): Promise<Person> {
  const context = await browser.newContext({ viewport })
  context.setDefaultTimeout(20_000)
  const page = await context.newPage()
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(`${page.url()}: ${message.text()}`)
  })
  await page.goto(startUrl)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Beak').fill(beak)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.waitForURL((url) => url.href.startsWith(startUrl))
  return { context, page, close: () => context.close() }
}

/**
 * Reloads until the page's main part shows what an event on its way will change; fails
 * with what it last showed.
 */
export async function reloadUntil(page: Page, shows: (text: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  let text = ''
  while (Date.now() < deadline) {
    await page.reload()
    text = await page.locator('main').innerText()
    if (shows(text)) return text
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}; the page last showed:\n${text}`)
}

/** A full-page screenshot in .screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}
