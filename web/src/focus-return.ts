import { useEffect, useRef } from "react";

/**
 * For the button that opens a dialog which is unmounted, not close()d, when done: the browser then hands the focus
 * to the body, so this puts it back on the button. After the commit, when the dialog (and the page's inertness
 * under it) is gone; focusing earlier would fail.
 */
export function useFocusReturn<T extends HTMLElement>(open: boolean) {
  const ref = useRef<T>(null);
  const wasOpen = useRef(false);
  useEffect(() => {
    if (open) wasOpen.current = true;
    else if (wasOpen.current) {
      wasOpen.current = false;
      ref.current?.focus();
    }
  }, [open]);
  return ref;
}
