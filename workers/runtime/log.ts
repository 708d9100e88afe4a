// JSON logs, one object a line; `make up` renders them readably.

export type Level = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export type Fields = Record<string, unknown>

export type Logger = {
  debug(msg: string, fields?: Fields): void
  info(msg: string, fields?: Fields): void
  warn(msg: string, fields?: Fields): void
  error(msg: string, fields?: Fields): void
  child(fields: Fields): Logger
}

export function createLogger(
  base: Fields,
  options: { level?: Level; write?: (line: string) => void; now?: () => Date } = {},
): Logger {
  const threshold = ORDER[options.level ?? 'info']
  const write = options.write ?? ((line: string) => process.stdout.write(line))
  const now = options.now ?? (() => new Date())
  const emit = (level: Level, msg: string, fields?: Fields) => {
    if (ORDER[level] < threshold) return
    const record: Fields = { time: now().toISOString(), level, ...base, msg }
    if (fields) {
      for (const [key, value] of Object.entries(fields)) {
        record[key] = value instanceof Error ? { message: value.message, stack: value.stack } : value
      }
    }
    write(`${JSON.stringify(record)}\n`)
  }
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger({ ...base, ...fields }, options),
  }
}

/** A logger that keeps quiet: for tests that do not read logs. */
export const silentLogger: Logger = createLogger({}, { level: 'error', write: () => {} })
