/** One short-lived message for the whole app ("Deleted cat.png"), shown by <NoticeBar> in a polite live region. */
import { useSyncExternalStore } from "react";

let current: { text: string; id: number } | null = null;
let nextId = 1;
const listeners = new Set<() => void>();
let timer: number | undefined;

function emit() {
  for (const listener of listeners) listener();
}

export function showNotice(text: string): void {
  current = { text, id: nextId++ };
  window.clearTimeout(timer);
  timer = window.setTimeout(() => {
    current = null;
    emit();
  }, 5000);
  emit();
}

export function useNotice(): string | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current?.text ?? null,
  );
}
