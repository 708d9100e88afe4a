// Renders a worker's JSON log line for people: "12:00:01 INFO  consumer started stream=TASKS".

const LEVEL_COLOR: Record<string, string> = { debug: '90', info: '36', warn: '33', error: '31' }
const SKIP = new Set(['time', 'level', 'msg', 'worker'])

export function color(code: string, text: string, enabled: boolean): string {
  return enabled ? `\x1b[${code}m${text}\x1b[0m` : text
}

export function prettyLine(line: string, colors: boolean): string {
  let record: Record<string, unknown>
  try {
    record = JSON.parse(line)
  } catch {
    return line
  }
  if (typeof record !== 'object' || record === null || typeof record.msg !== 'string') return line
  const time = typeof record.time === 'string' ? record.time.slice(11, 19) : ''
  const level = String(record.level ?? 'info')
  const fields = Object.entries(record)
    .filter(([key]) => !SKIP.has(key))
    .map(([key, value]) => {
      if (value && typeof value === 'object' && 'message' in value) return `${key}=${JSON.stringify((value as { message: unknown }).message)}`
      return `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`
    })
    .join(' ')
  return `${color('90', time, colors)} ${color(LEVEL_COLOR[level] ?? '0', level.toUpperCase().padEnd(5), colors)} ${record.msg}${fields ? ` ${color('90', fields, colors)}` : ''}`
}
