import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useEffect, useState } from "react";
import { useMeQuery } from "../../client/generated/react-query.js";
import type { UserFieldsFragment } from "../../client/generated/graphql.js";
import { describeError, isUnauthenticated } from "./errors.js";
import { AccountPage } from "./pages/AccountPage.js";
import { AdminPage } from "./pages/AdminPage.js";
import { AlbumEditPage } from "./pages/AlbumEditPage.js";
import { AlbumPage } from "./pages/AlbumPage.js";
import { AlbumsPage } from "./pages/AlbumsPage.js";
import { AuthPage } from "./pages/AuthPage.js";
import { ImagePage } from "./pages/ImagePage.js";
import { ImagesPage } from "./pages/ImagesPage.js";
import { KeysPage } from "./pages/KeysPage.js";
import { linkHandler, navigate, type Route, useRoute } from "./router.js";
import { useNotice } from "./notice.js";
import { logOut } from "./session.js";
import { useLiveImageEvents } from "./live.js";

export function App() {
  const route = useRoute();
  const queryClient = useQueryClient();
  const me = useMeQuery(undefined, { retry: false });
  const staleCookie = me.isError && isUnauthenticated(me.error);

  // A revoked or expired session: clear the cookie so the next page load starts clean.
  useEffect(() => {
    if (!staleCookie) return;
    logOut()
      .catch(() => undefined)
      .finally(() => queryClient.setQueryData(useMeQuery.getKey(), { me: null }));
  }, [staleCookie, queryClient]);

  const signedIn = (user: UserFieldsFragment) => switchUser(queryClient, user);
  // The account is gone and its sessions with it; clearing the cookie is tidiness, so its failure does not matter.
  const signedOut = () => {
    void logOut().catch(() => undefined);
    switchUser(queryClient, null);
    navigate("/login", { replace: true });
  };

  const user = me.data?.me ?? null;
  const onAuthScreen = route.name === "login" || route.name === "register";
  useEffect(() => {
    if (user !== null && onAuthScreen) navigate("/", { replace: true });
  }, [user, onAuthScreen]);
  useDocumentTitle(route, user);

  // The album page is public: it never waits for, or asks for, a login.
  if (route.name === "album")
    return <AlbumPage id={route.id} grant={new URLSearchParams(window.location.search).get("grant")} />;
  if (me.isPending || staleCookie) return <Splash text="Loading…" />;
  if (me.isError) {
    return (
      <Splash text={describeError(me.error)}>
        <button type="button" onClick={() => void me.refetch()}>
          Try again
        </button>
      </Splash>
    );
  }
  if (user === null) return <AuthPage mode={route.name === "register" ? "register" : "login"} onSignedIn={signedIn} />;
  if (onAuthScreen) return null;
  return (
    <Shell user={user} route={route}>
      {route.name === "images" ? <ImagesPage /> : null}
      {route.name === "image" ? <ImagePage id={route.id} /> : null}
      {route.name === "albums" ? <AlbumsPage /> : null}
      {route.name === "album-edit" ? <AlbumEditPage key={route.id} id={route.id} /> : null}
      {route.name === "keys" ? <KeysPage /> : null}
      {route.name === "account" ? <AccountPage user={user} onDeleted={signedOut} /> : null}
      {/* Not a forbidden page: a non-admin is not told that there is an admin page at all. */}
      {route.name === "admin" ? user.isAdmin ? <AdminPage /> : <NotFound /> : null}
      {route.name === "not-found" ? <NotFound /> : null}
    </Shell>
  );
}

/**
 * After logging in or out: the new `me`, and nothing cached for the previous user left to show through. (Removing
 * queries rather than `clear()`: the mounted `me` observer must keep its query to see the new value.)
 */
function switchUser(queryClient: QueryClient, user: UserFieldsFragment | null) {
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== useMeQuery.rootKey });
  queryClient.setQueryData(useMeQuery.getKey(), { me: user });
}

function Shell(props: { user: UserFieldsFragment; route: Route; children: ReactNode }) {
  const queryClient = useQueryClient();
  useLiveImageEvents(props.user.id);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const current =
    props.route.name === "image" ? "images" : props.route.name === "album-edit" ? "albums" : props.route.name;
  const onLogOut = async () => {
    setBusy(true);
    setError(null);
    try {
      await logOut();
      switchUser(queryClient, null);
      navigate("/login", { replace: true });
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : "Could not log out.");
      setBusy(false);
    }
  };
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href="/" onClick={linkHandler("/")}>
          <img src="/favicon.svg" alt="" width="24" height="24" />
          ImageHost
        </a>
        <nav aria-label="Main">
          <a href="/" onClick={linkHandler("/")} aria-current={current === "images" ? "page" : undefined}>
            Images
          </a>
          <a href="/albums" onClick={linkHandler("/albums")} aria-current={current === "albums" ? "page" : undefined}>
            Albums
          </a>
          <a href="/keys" onClick={linkHandler("/keys")} aria-current={current === "keys" ? "page" : undefined}>
            API keys
          </a>
          <a
            href="/account"
            onClick={linkHandler("/account")}
            aria-current={current === "account" ? "page" : undefined}
          >
            Account
          </a>
          {props.user.isAdmin ? (
            <a href="/admin" onClick={linkHandler("/admin")} aria-current={current === "admin" ? "page" : undefined}>
              Admin
            </a>
          ) : null}
          <a href="/graphql">Playground</a>
        </nav>
        <div className="account">
          <span className="who">
            Signed in as <strong>{props.user.username}</strong>
          </span>
          <button type="button" className="secondary" onClick={() => void onLogOut()} disabled={busy}>
            Log out
          </button>
        </div>
      </header>
      {error ? (
        <p className="banner error-text" role="alert">
          {error}
        </p>
      ) : null}
      <NoticeBar />
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}

/** Always in the page, so screen readers announce what appears in it. */
function NoticeBar() {
  const notice = useNotice();
  return (
    <div className={`notice${notice ? " visible" : ""}`} role="status">
      {notice}
    </div>
  );
}

function Splash(props: { text: string; children?: ReactNode }) {
  return (
    <main className="splash" id="main">
      <p role="status">{props.text}</p>
      {props.children}
    </main>
  );
}

function NotFound() {
  return (
    <section className="panel">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address.{" "}
        <a href="/" onClick={linkHandler("/")}>
          Go to your images
        </a>
        .
      </p>
    </section>
  );
}

function useDocumentTitle(route: Route, user: UserFieldsFragment | null) {
  useEffect(() => {
    const titles: Record<Route["name"], string> = {
      images: "Your images",
      image: "Image",
      album: "Album",
      albums: "Your albums",
      "album-edit": "Edit album",
      keys: "API keys",
      account: "Your account",
      admin: "Admin",
      login: "Log in",
      register: "Create an account",
      "not-found": "Page not found",
    };
    const page = user === null ? (route.name === "register" ? titles.register : titles.login) : titles[route.name];
    document.title = `${page} · ImageHost`;
  }, [route, user]);
}
