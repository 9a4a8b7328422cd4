/** Text as bytes, one byte per character (the reference generator's latin-1), and upper-case hex. */
export const bytes = (s: string) => Buffer.from(s, "latin1");
export const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, "0");
