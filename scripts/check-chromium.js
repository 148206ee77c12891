#!/usr/bin/env node
// Before the end-to-end tests: they drive Debian's Chromium. Say what is missing and how to get it,
// instead of failing obscurely inside Playwright.
import { existsSync } from 'node:fs';

const path = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!existsSync(path)) {
  console.error(
    `The end-to-end tests need Chromium at ${path}, which is not installed.\n` +
      'On Debian or Ubuntu: sudo apt-get install -y chromium   (or set CHROMIUM_PATH to a Chromium/Chrome binary)',
  );
  process.exit(1);
}
