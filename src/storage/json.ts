// JSON shapes stored in TEXT columns (job params, progress, results, model metadata). Typed as
// plain JSON so what goes into the database is exactly what comes back out.

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

export function toJsonText(value: JsonValue): string {
  return JSON.stringify(value);
}

export function parseJsonObject(text: string | null, column: string): JsonObject | null {
  if (text === null) return null;
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`Column ${column} holds ${typeof value} where a JSON object was expected`);
  }
  return value as JsonObject;
}
