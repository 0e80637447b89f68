import { type FormEvent, useEffect, useState } from "react";
import type { UserFieldsFragment } from "../../../client/generated/graphql.js";
import { registrationProblems } from "../registration-rules.js";
import { linkHandler } from "../router.js";
import { logIn, register } from "../session.js";

/**
 * Log in or create an account. The session ends up in an httpOnly cookie; this page never sees it. Registering asks
 * for the password twice and, once submitted, shows every problem of the form at once, each under its field, and
 * keeps them current while the user fixes them.
 */
export function AuthPage(props: { mode: "login" | "register"; onSignedIn(user: UserFieldsFragment): void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  // An invitation link (`/register?invite=CODE`) fills the code in.
  const [inviteCode, setInviteCode] = useState(() => new URLSearchParams(window.location.search).get("invite") ?? "");
  const [submitted, setSubmitted] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const registering = props.mode === "register";
  const problems = registering && submitted ? registrationProblems(username, password, confirm) : {};

  useEffect(() => {
    setError(null);
    setSubmitted(false);
  }, [props.mode]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (registering) {
      const found = registrationProblems(username, password, confirm);
      const first = (["username", "password", "confirm"] as const).find((field) => found[field] !== undefined);
      if (first) {
        setError(null);
        document.getElementById(first)?.focus();
        return;
      }
    }
    setBusy(true);
    setError(null);
    try {
      const invite = inviteCode.trim();
      const user = registering
        ? await register(username.trim(), password, invite === "" ? null : invite)
        : await logIn(username.trim(), password);
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
        {/* noValidate when registering: the browser's bubbles show one problem at a time. */}
        <form onSubmit={(event) => void submit(event)} noValidate={registering}>
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
              aria-invalid={problems.username ? true : undefined}
              aria-describedby={registering ? describedBy("username", problems.username) : undefined}
            />
            {registering ? (
              <p className="hint" id="username-hint">
                3 to 32 letters, digits, dots, dashes or underscores.
              </p>
            ) : null}
            <FieldProblem id="username" problem={problems.username} />
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
              aria-invalid={problems.password ? true : undefined}
              aria-describedby={registering ? describedBy("password", problems.password) : undefined}
            />
            {registering ? (
              <p className="hint" id="password-hint">
                8 to 72 characters. Very common passwords are refused.
              </p>
            ) : null}
            <FieldProblem id="password" problem={problems.password} />
          </div>
          {registering ? (
            <div className="field">
              <label htmlFor="confirm">Confirm password</label>
              <input
                id="confirm"
                name="confirm"
                type="password"
                autoComplete="new-password"
                required
                value={confirm}
                onChange={(event) => setConfirm(event.target.value)}
                aria-invalid={problems.confirm ? true : undefined}
                aria-describedby={problems.confirm ? "confirm-problem" : undefined}
              />
              <FieldProblem id="confirm" problem={problems.confirm} />
            </div>
          ) : null}
          {registering ? (
            <div className="field">
              <label htmlFor="invite">Invite code</label>
              <input
                id="invite"
                name="invite"
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                value={inviteCode}
                onChange={(event) => setInviteCode(event.target.value)}
                aria-describedby="invite-hint"
              />
              <p className="hint" id="invite-hint">
                Only if this server registers by invitation: the code an administrator gave you.
              </p>
            </div>
          ) : null}
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

function describedBy(field: string, problem: string | undefined): string {
  return problem ? `${field}-hint ${field}-problem` : `${field}-hint`;
}

function FieldProblem(props: { id: string; problem: string | undefined }) {
  if (!props.problem) return null;
  return (
    <p className="form-error" id={`${props.id}-problem`}>
      {props.problem}
    </p>
  );
}
