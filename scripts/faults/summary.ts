// Adds up what every file of the fault suite recorded and prints the one summary line;
// fails when no scenario was recorded or any difference was found.
// Usage: summary.ts <tally file>
import { existsSync, readFileSync } from 'node:fs'
import { add, type Counts, summaryLine, ZERO } from './tally.ts'

const file = process.argv[2]
const lines = file && existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []
const total = lines.map((line) => JSON.parse(line) as Counts).reduce(add, ZERO)
process.stdout.write(`${summaryLine(total)}\n`)
if (total.differences > 0 || total.scenarios === 0) process.exit(1)
