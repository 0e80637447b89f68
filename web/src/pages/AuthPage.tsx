import { type FormEvent, useEffect, useState } from "react";
import type { UserFieldsFragment } from "../../../client/generated/graphql.js";
import { linkHandler } from "../router.js";
import { logIn, register } from "../session.js";

/** Log in or create an account. The session ends up in an httpOnly cookie; this page never sees it. */
export function AuthPage(props: { mode: "login" | "register"; onSignedIn(user: UserFieldsFragment): void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const registering = props.mode === "register";

  useEffect(() => setError(null), [props.mode]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const user = await (registering ? register : logIn)(username.trim(), password);
      props.onSignedIn(user);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : "Something went wrong.");
      setBusy(false);
    }
  };

  return (
    <main className="auth" id="main">
      <div className="auth-card">
        <p className="brand auth-brand">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          ImageHost
        </p>
        <h1>{registering ? "Create an account" : "Log in"}</h1>
        <form onSubmit={(event) => void submit(event)}>
          <div className="field">
            <label htmlFor="username">Username</label>
            <input
              id="username"
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              value={username}
              onChange={(event) => setUsername(event.target.value)}
              aria-describedby={registering ? "username-hint" : undefined}
            />
            {registering ? (
              <p className="hint" id="username-hint">
                3 to 32 letters, digits, dots, dashes or underscores.
              </p>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete={registering ? "new-password" : "current-password"}
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              aria-describedby={registering ? "password-hint" : undefined}
            />
            {registering ? (
              <p className="hint" id="password-hint">
                8 to 72 characters. Very common passwords are refused.
              </p>
            ) : null}
          </div>
          {error ? (
            <p className="form-error" role="alert">
              {error}
            </p>
          ) : null}
          <button type="submit" className="primary wide" disabled={busy}>
            {registering ? "Register" : "Log in"}
          </button>
        </form>
        <p className="switch">
          {registering ? (
            <>
              Already have an account?{" "}
              <a href="/login" onClick={linkHandler("/login")}>
                Log in instead
              </a>
            </>
          ) : (
            <>
              New here?{" "}
              <a href="/register" onClick={linkHandler("/register")}>
                Create an account
              </a>
            </>
          )}
        </p>
      </div>
    </main>
  );
}
