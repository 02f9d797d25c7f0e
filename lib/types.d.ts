/** Text files (the common-password list) are bundled as strings: esbuild's text loader, and a jest transform in tests. */
declare module '*.txt' {
  const text: string;
  export default text;
}
