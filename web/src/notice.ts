/**
 * One short-lived message for the whole app ("Deleted cat.png"), shown by <NoticeBar> in a polite live region.
 * A notice belongs to the page it first appears on (after a delete, the gallery the app goes to): leaving that
 * page dismisses it, so it never shows over a page it says nothing about.
 */
import "./notice.css";
import { useEffect, useSyncExternalStore } from "react";

/** `page`: the pathname the notice was first shown on; null until rendered once. */
let current: { text: string; page: string | null } | null = null;
const listeners = new Set<() => void>();
let timer: number | undefined;

function emit() {
  for (const listener of listeners) listener();
}

function dismiss() {
  window.clearTimeout(timer);
  current = null;
  emit();
}

export function showNotice(text: string): void {
  // Bound to a page at its first render, not here: a notice shown just before navigating is for the next page.
  current = { text, page: null };
  window.clearTimeout(timer);
  timer = window.setTimeout(dismiss, 5000);
  emit();
}

function visibleText(): string | null {
  if (current === null) return null;
  return current.page === null || current.page === window.location.pathname ? current.text : null;
}

/** The notice to show now; call from a component that renders again on every navigation. */
export function useNotice(): string | null {
  const text = useSyncExternalStore((listener) => {
    listeners.add(listener);
    // Back and forward change the page without a render of ours.
    window.addEventListener("popstate", listener);
    return () => {
      listeners.delete(listener);
      window.removeEventListener("popstate", listener);
    };
  }, visibleText);
  useEffect(() => {
    if (current === null) return;
    if (current.page === null) current.page = window.location.pathname;
    else if (current.page !== window.location.pathname) dismiss();
  });
  return text;
}
