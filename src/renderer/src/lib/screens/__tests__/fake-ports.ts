import type { Channel, RequestOf, ResponseOf, Result } from '../../../../../shared/api';
import type { Toast } from '../../toasts.svelte';
import type { ScreenPorts } from '../ports';

export type Handler<C extends Channel> = (
  request: RequestOf<C>,
) => Result<ResponseOf<C>> | Promise<Result<ResponseOf<C>>>;

/**
 * Ports for tests: channels answered by the handlers given (an unanswered channel fails the test),
 * every request, notice and navigation recorded, and confirmations answered from a queue.
 */
export function fakePorts(handlers: { [C in Channel]?: Handler<C> } = {}) {
  const calls: Array<{ channel: Channel; request: unknown }> = [];
  const notices: Array<{ message: string; kind?: Toast['kind']; action?: Toast['action'] }> = [];
  const navigations: string[] = [];
  const questions: Array<{ title: string; message: string }> = [];
  const answers: boolean[] = [];
  const ports: ScreenPorts = {
    async call(channel, request) {
      calls.push({ channel, request });
      const handler = handlers[channel] as Handler<typeof channel> | undefined;
      if (!handler) throw new Error(`no fake answer for ${channel}`);
      return handler(request);
    },
    notify(message, options = {}) {
      notices.push({ message, ...options });
    },
    async confirm(title, message) {
      questions.push({ title, message });
      return answers.shift() ?? false;
    },
    navigate(path) {
      navigations.push(path);
    },
  };
  return { ports, handlers, calls, notices, navigations, questions, answers };
}

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const failed = <T>(message: string, code = 'bad_input'): Result<T> =>
  ({ ok: false, error: { code, message } }) as Result<T>;
