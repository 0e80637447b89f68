/** A small history-API router: the app has five screens, not enough for a routing library. */
import { type MouseEvent, useEffect, useState } from "react";

export type Route =
  | { name: "images" }
  | { name: "image"; id: string }
  | { name: "album"; id: string }
  | { name: "albums" }
  | { name: "album-edit"; id: string }
  | { name: "keys" }
  | { name: "account" }
  | { name: "admin" }
  | { name: "login" }
  | { name: "register" }
  | { name: "not-found" };

function parseRoute(pathname: string): Route {
  if (pathname === "/" || pathname === "") return { name: "images" };
  if (pathname === "/keys") return { name: "keys" };
  if (pathname === "/albums") return { name: "albums" };
  if (pathname === "/account") return { name: "account" };
  if (pathname === "/admin") return { name: "admin" };
  if (pathname === "/login") return { name: "login" };
  if (pathname === "/register") return { name: "register" };
  const album = /^\/a\/([A-Za-z0-9_-]{1,64})$/.exec(pathname);
  if (album) return { name: "album", id: album[1]! };
  const albumEdit = /^\/albums\/([A-Za-z0-9_-]{1,64})$/.exec(pathname);
  if (albumEdit) return { name: "album-edit", id: albumEdit[1]! };
  const image = /^\/images\/([A-Za-z0-9_-]{1,64})$/.exec(pathname);
  if (image) return { name: "image", id: image[1]! };
  return { name: "not-found" };
}

const listeners = new Set<() => void>();

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname) return;
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.scrollTo(0, 0);
  for (const listener of listeners) listener();
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.pathname));
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return route;
}

/** For `<a href onClick>`: plain left clicks stay in the app; modified clicks open tabs as usual. */
export function linkHandler(to: string) {
  return (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
}
