/** "β=1.5" for a β-divergence (with the separator given), the loss's name otherwise. */
export function lossLabel(params: { loss: string; beta: number }, separator = '='): string {
  return params.loss === 'beta' ? `β${separator}${params.beta}` : params.loss;
}
