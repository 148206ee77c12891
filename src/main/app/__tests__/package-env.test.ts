import { describe, expect, it } from 'vitest';
import { packagingEnv, signingPlan } from '../packaging/package-env';

describe('packagingEnv', () => {
  it('removes the npm settings that point node-gyp at Node’s headers, in any letter case', () => {
    const { env, removed } = packagingEnv({
      PATH: '/usr/bin',
      npm_config_nodedir: '/usr',
      NPM_CONFIG_TARGET: '20.20.2',
      npm_config_runtime: 'node',
      npm_config_disturl: 'https://nodejs.org/dist',
      npm_config_build_from_source: 'true',
      npm_config_registry: 'https://registry.npmjs.org/',
      npm_config_target_arch: 'arm64',
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      npm_config_registry: 'https://registry.npmjs.org/',
      npm_config_target_arch: 'arm64',
    });
    expect(removed.sort()).toEqual(
      [
        'NPM_CONFIG_TARGET',
        'npm_config_build_from_source',
        'npm_config_disturl',
        'npm_config_nodedir',
        'npm_config_runtime',
      ].sort(),
    );
  });
});

describe('signingPlan', () => {
  it('macOS without credentials: unsigned, not notarized, no keychain auto-discovery, and says so', () => {
    const plan = signingPlan({}, 'darwin');
    expect(plan.env).toEqual({ CSC_IDENTITY_AUTO_DISCOVERY: 'false' });
    expect(plan.messages).toEqual([
      'signing: skipped, CSC_LINK is not set (the installer will be unsigned)',
      'notarization: skipped, APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD and APPLE_TEAM_ID are not set',
    ]);
  });

  it('macOS with a certificate and the notary credentials: signs and notarizes', () => {
    const plan = signingPlan(
      {
        CSC_LINK: 'base64…',
        CSC_KEY_PASSWORD: 'pw',
        APPLE_ID: 'a@b.c',
        APPLE_APP_SPECIFIC_PASSWORD: 'x',
        APPLE_TEAM_ID: 'T',
      },
      'darwin',
    );
    expect(plan.env).toEqual({});
    expect(plan.messages).toEqual([
      'signing: with the certificate in CSC_LINK',
      'notarization: with APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD and APPLE_TEAM_ID',
    ]);
  });

  it('stops on half-configured notarization, or notarization without signing', () => {
    expect(() => signingPlan({ CSC_LINK: 'x', APPLE_ID: 'a@b.c' }, 'darwin')).toThrow(
      'notarization is half configured: APPLE_APP_SPECIFIC_PASSWORD, APPLE_TEAM_ID not set',
    );
    expect(() =>
      signingPlan({ APPLE_ID: 'a', APPLE_APP_SPECIFIC_PASSWORD: 'b', APPLE_TEAM_ID: 'c' }, 'darwin'),
    ).toThrow('notarization needs a signed app: set CSC_LINK as well');
  });

  it('Windows signs with CSC_LINK when present; Linux packages are not signed', () => {
    expect(signingPlan({ CSC_LINK: 'x' }, 'win32').messages).toEqual([
      'signing: with the certificate in CSC_LINK',
      'signing: CSC_KEY_PASSWORD is not set; the certificate must have no password',
    ]);
    expect(signingPlan({}, 'win32').env).toEqual({ CSC_IDENTITY_AUTO_DISCOVERY: 'false' });
    expect(signingPlan({ CSC_LINK: 'x' }, 'linux')).toEqual({
      env: {},
      messages: ['signing: not applicable on this platform (AppImage and .deb are not code-signed)'],
    });
  });
});
