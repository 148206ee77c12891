/** What the About box says: the versions that matter when reporting a result or a bug, and where the library is. */
export interface AboutFacts {
  productName: string;
  appVersion: string;
  engineVersion: string;
  versions: { electron?: string; node?: string; chrome?: string };
  libraryPath: string;
}

export function aboutText(facts: AboutFacts): { message: string; detail: string } {
  return {
    message: `${facts.productName} ${facts.appVersion}`,
    detail: [
      `Engine ${facts.engineVersion}`,
      `Electron ${facts.versions.electron ?? 'unknown'}`,
      `Node ${facts.versions.node ?? 'unknown'}`,
      `Chromium ${facts.versions.chrome ?? 'unknown'}`,
      '',
      `Library: ${facts.libraryPath}`,
    ].join('\n'),
  };
}
