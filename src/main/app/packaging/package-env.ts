/**
 * The environment electron-builder runs in. npm exports its configuration to scripts as
 * `npm_config_*` variables; `nodedir`, `target`, `runtime` and `disturl` among them make node-gyp
 * compile native modules against the headers of the Node that runs npm instead of Electron's,
 * silently, so they are removed. On Windows variable names are case-insensitive, hence the
 * case-insensitive match.
 */
const NODE_HEADER_SETTINGS = ['nodedir', 'target', 'runtime', 'disturl', 'dist_url', 'build_from_source'];

export function packagingEnv(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; removed: string[] } {
  const result: NodeJS.ProcessEnv = {};
  const removed: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    const lower = key.toLowerCase();
    const setting = lower.startsWith('npm_config_')
      ? lower.slice('npm_config_'.length).replace(/-/g, '_')
      : null;
    if (setting !== null && NODE_HEADER_SETTINGS.includes(setting)) removed.push(key);
    else result[key] = value;
  }
  return { env: result, removed };
}

export interface SigningPlan {
  /** Extra variables for electron-builder. */
  env: NodeJS.ProcessEnv;
  /** One line per decision, printed so a build log says what was and was not done. */
  messages: string[];
}

const NOTARY_VARIABLES = ['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID'] as const;

/**
 * Code signing and notarization are driven by the environment: CSC_LINK (+ CSC_KEY_PASSWORD) for
 * the certificate (macOS and Windows), APPLE_ID + APPLE_APP_SPECIFIC_PASSWORD + APPLE_TEAM_ID for
 * Apple's notary service. Without a certificate, identity auto-discovery is turned off so an
 * unrelated certificate in a build machine's keychain is never used.
 * Throws when only some of the notarization variables are set: a half-configured release should
 * stop rather than ship unnotarized.
 */
export function signingPlan(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): SigningPlan {
  const messages: string[] = [];
  const extra: NodeJS.ProcessEnv = {};
  if (platform !== 'darwin' && platform !== 'win32') {
    messages.push('signing: not applicable on this platform (AppImage and .deb are not code-signed)');
    return { env: extra, messages };
  }
  if (env.CSC_LINK) {
    messages.push('signing: with the certificate in CSC_LINK');
    if (!env.CSC_KEY_PASSWORD)
      messages.push('signing: CSC_KEY_PASSWORD is not set; the certificate must have no password');
  } else {
    extra.CSC_IDENTITY_AUTO_DISCOVERY = 'false';
    messages.push('signing: skipped, CSC_LINK is not set (the installer will be unsigned)');
  }
  if (platform === 'darwin') {
    const present = NOTARY_VARIABLES.filter((name) => env[name]);
    if (present.length === NOTARY_VARIABLES.length) {
      if (!env.CSC_LINK) throw new Error('notarization needs a signed app: set CSC_LINK as well');
      messages.push('notarization: with APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD and APPLE_TEAM_ID');
    } else if (present.length > 0) {
      const missing = NOTARY_VARIABLES.filter((name) => !env[name]);
      throw new Error(`notarization is half configured: ${missing.join(', ')} not set`);
    } else {
      messages.push(
        'notarization: skipped, APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD and APPLE_TEAM_ID are not set',
      );
    }
  }
  return { env: extra, messages };
}
