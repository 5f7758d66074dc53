import { chromium } from 'playwright-core';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-background-networking'] });
const p = await b.newPage();
p.on('console', (m) => console.log(m.type(), m.text()));
await p.goto('file://' + process.argv[2]);
await b.close();
