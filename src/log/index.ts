// Structured logging: one JSON object per line when stderr is not a terminal (for journald and
// log shippers), a short readable line when it is. Kept tiny on purpose: the hot path is a
// single write call, and fields are only serialised when the level is enabled.

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A logger that adds these fields to every line. */
  child(fields: Fields): Logger;
}

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level?: Level;
  /** true: JSON lines; false: readable text. Default: JSON unless the stream is a TTY. */
  json?: boolean;
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}, base: Fields = {}): Logger {
  const min = ORDER[options.level ?? levelFromEnv()];
  const json = options.json ?? !process.stderr.isTTY;
  const write = options.write ?? ((line: string) => process.stderr.write(line));

  const emit = (level: Level, msg: string, fields?: Fields): void => {
    if (ORDER[level] < min) return;
    const all = fields ? { ...base, ...fields } : base;
    if (json) {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...all }, errorReplacer) + '\n');
      return;
    }
    let line = `${new Date().toISOString().slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}`;
    for (const [k, v] of Object.entries(all)) {
      line += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v, errorReplacer)}`;
    }
    write(line + '\n');
  };

  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...options, json, write }, { ...base, ...fields }),
  };
}

/**
 * A warn() that says each key's message only the first time: for warnings that would otherwise
 * repeat at every retry or every start of a container.
 */
export function warnOncePer(logger: Logger): (key: string, message: string, fields?: Fields) => void {
  const said = new Set<string>();
  return (key, message, fields) => {
    if (said.has(key)) return;
    said.add(key);
    logger.warn(message, fields);
  };
}

/** A logger that drops everything: for unit tests that do not look at logs. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

function levelFromEnv(): Level {
  const v = process.env.BERTH_LOG_LEVEL;
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : 'info';
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? value.message : value;
}
