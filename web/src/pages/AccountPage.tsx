import { type FormEvent, useState } from "react";
import type { UserFieldsFragment } from "../../../client/generated/graphql.js";
import { useChangePasswordMutation, useDeleteAccountMutation } from "../../../client/generated/react-query.js";
import { describeError } from "../errors.js";
import { showNotice } from "../notice.js";
import "../account-admin.css";

/** The signed-in user's own account: a new password, or the end of the account. */
export function AccountPage(props: { user: UserFieldsFragment; onDeleted(): void }) {
  return (
    <>
      <h1>Your account</h1>
      <p className="lead">
        Signed in as <strong>{props.user.username}</strong>.
      </p>
      <ChangePassword />
      <DeleteAccount username={props.user.username} onDeleted={props.onDeleted} />
    </>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const change = useChangePasswordMutation({
    onSuccess: () => {
      setCurrent("");
      setNext("");
      setConfirm("");
      showNotice("Password changed. Your other sessions were logged out; API keys still work.");
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Checked here because a typo in a field nobody can see would lock the user out.
    setMismatch(next !== confirm);
    if (next !== confirm) return;
    change.mutate({ current, next });
  };
  return (
    <section className="panel" aria-labelledby="password-heading">
      <h2 id="password-heading">Change password</h2>
      <form className="stacked-form" onSubmit={submit}>
        <PasswordField id="current-password" label="Current password" value={current} onChange={setCurrent} />
        <PasswordField id="new-password" label="New password" value={next} onChange={setNext} isNew />
        <PasswordField id="confirm-password" label="Confirm new password" value={confirm} onChange={setConfirm} isNew />
        {mismatch ? (
          <p className="form-error" role="alert">
            The new passwords do not match.
          </p>
        ) : null}
        {change.isError ? (
          <p className="form-error" role="alert">
            {describeError(change.error)}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={change.isPending}>
          {change.isPending ? "Changing…" : "Change password"}
        </button>
      </form>
    </section>
  );
}

function DeleteAccount(props: { username: string; onDeleted(): void }) {
  const [password, setPassword] = useState("");
  const [typed, setTyped] = useState("");
  const remove = useDeleteAccountMutation({ onSuccess: props.onDeleted });
  const confirmed = typed === props.username && password !== "";
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (confirmed) remove.mutate({ password });
  };
  return (
    <section className="panel danger-zone" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete account</h2>
      <p>
        This deletes your account and everything of it: every image and its links, albums, share links, API keys and
        sessions. It cannot be undone.
      </p>
      <form className="stacked-form" onSubmit={submit}>
        <PasswordField id="delete-password" label="Password" value={password} onChange={setPassword} />
        <div className="field">
          <label htmlFor="delete-confirm">
            Type your username, <strong>{props.username}</strong>, to confirm
          </label>
          <input
            id="delete-confirm"
            type="text"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
          />
        </div>
        {remove.isError ? (
          <p className="form-error" role="alert">
            {describeError(remove.error)}
          </p>
        ) : null}
        <button type="submit" className="danger" disabled={!confirmed || remove.isPending}>
          {remove.isPending ? "Deleting…" : "Delete my account"}
        </button>
      </form>
    </section>
  );
}

function PasswordField(props: {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  isNew?: boolean;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="password"
        required
        autoComplete={props.isNew ? "new-password" : "current-password"}
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
      />
    </div>
  );
}
