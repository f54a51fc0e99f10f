/** What a sink logs through: pino's logger fits, and so does any object with these three methods. */
export interface SinkLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
