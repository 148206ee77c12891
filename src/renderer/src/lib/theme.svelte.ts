/** Light / dark / follow-the-system theme, remembered for this machine. */

export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'nmf-studio-theme';
const media = window.matchMedia('(prefers-color-scheme: dark)');

function stored(): ThemeChoice {
  const value = localStorage.getItem(KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

export const theme: { choice: ThemeChoice; dark: boolean } = $state({ choice: stored(), dark: false });

function apply(): void {
  theme.dark = theme.choice === 'dark' || (theme.choice === 'system' && media.matches);
  document.documentElement.dataset.theme = theme.dark ? 'dark' : 'light';
}

export function setTheme(choice: ThemeChoice): void {
  theme.choice = choice;
  if (choice === 'system') localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, choice);
  apply();
}

media.addEventListener('change', apply);
apply();

/** Colours for charts (chart.js cannot read CSS variables itself). */
export function chartColors(): { text: string; grid: string; muted: string } {
  return theme.dark
    ? { text: '#d8dde6', grid: 'rgba(255,255,255,0.12)', muted: '#9aa4b2' }
    : { text: '#1f2933', grid: 'rgba(0,0,0,0.08)', muted: '#52606d' };
}

/** Distinct series colours, readable on both backgrounds (Okabe–Ito, colour-blind safe). */
export const seriesColors = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#8c8c00',
  '#7f5fbf',
  '#999999',
  '#1b9e77',
];

export function seriesColor(i: number): string {
  return seriesColors[i % seriesColors.length];
}
