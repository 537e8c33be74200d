export declare const systemChromiumPaths: string[];
export declare function findChromium(where: {
  env: Record<string, string | undefined>;
  playwrightPath: string;
  exists: (path: string) => boolean;
}): { kind: 'env' | 'playwright' | 'system'; path: string } | null;
export declare function ensureChromium(how: {
  found: { kind: string; path: string } | null;
  playwrightPath: string;
  log: (line: string) => void;
  install: () => boolean;
}): boolean;
