// cookie 0.7 ships no types (express 5 depends on the same line); the one function used here.
declare module 'cookie' {
  export function parse(header: string, options?: { decode?: (value: string) => string }): Record<string, string | undefined>;
}
