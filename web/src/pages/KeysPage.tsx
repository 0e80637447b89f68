import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { ApiKeyFieldsFragment, CreateApiKeyMutation } from "../../../client/generated/graphql.js";
import {
  useApiKeysQuery,
  useCreateApiKeyMutation,
  useRevokeApiKeyMutation,
} from "../../../client/generated/react-query.js";
import { CopyButton } from "../components/CopyButton.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { describeError } from "../errors.js";
import { formatDate } from "../format.js";
import { showNotice } from "../notice.js";

/** API keys for scripts and the CLI: create (the secret is shown once), list, revoke. */
export function KeysPage() {
  const queryClient = useQueryClient();
  const keys = useApiKeysQuery();
  const [name, setName] = useState("");
  const [created, setCreated] = useState<CreateApiKeyMutation["createApiKey"] | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyFieldsFragment | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: [useApiKeysQuery.rootKey] });

  const create = useCreateApiKeyMutation({
    onSuccess: (data) => {
      setCreated(data.createApiKey);
      setName("");
      void refresh();
    },
  });
  const revoke = useRevokeApiKeyMutation({
    onSuccess: () => {
      showNotice(`Revoked the key “${revoking?.name ?? ""}”.`);
      setRevoking(null);
      void refresh();
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    create.mutate({ name: name.trim() });
  };

  return (
    <>
      <h1>API keys</h1>
      <p className="lead">
        Keys let scripts and the <code>imagehost</code> command use your account: send one as <code>X-API-Key</code>, or
        set <code>IMAGEHOST_API_KEY</code>. A key works until you revoke it.
      </p>

      <section className="panel" aria-labelledby="new-key-heading">
        <h2 id="new-key-heading">Create a key</h2>
        <form className="inline-form" onSubmit={submit}>
          <div className="field">
            <label htmlFor="key-name">Key name</label>
            <input
              id="key-name"
              name="name"
              required
              maxLength={64}
              placeholder="e.g. laptop"
              value={name}
              onChange={(event) => setName(event.target.value)}
            />
          </div>
          <button type="submit" className="primary" disabled={create.isPending}>
            Create key
          </button>
        </form>
        {create.isError ? (
          <p className="form-error" role="alert">
            {describeError(create.error)}
          </p>
        ) : null}
        {created ? (
          <div className="secret" role="status">
            <p>
              <strong>Your new key “{created.apiKey.name}”.</strong> Copy it now: it will not be shown again.
            </p>
            <div className="link-field">
              <input
                type="text"
                readOnly
                value={created.key}
                aria-label="New API key"
                onFocus={(event) => event.currentTarget.select()}
              />
              <CopyButton text={created.key} label="Copy key" />
            </div>
            <button type="button" className="link-button" onClick={() => setCreated(null)}>
              I have saved it
            </button>
          </div>
        ) : null}
      </section>

      <section className="panel" aria-labelledby="keys-heading">
        <h2 id="keys-heading">Your keys</h2>
        {keys.isPending ? <p role="status">Loading…</p> : null}
        {keys.isError ? (
          <p className="error-text" role="alert">
            {describeError(keys.error)}
          </p>
        ) : null}
        {keys.data && keys.data.apiKeys.length === 0 ? <p className="empty">No API keys yet.</p> : null}
        {keys.data && keys.data.apiKeys.length > 0 ? (
          <ul className="keys">
            {keys.data.apiKeys.map((key) => (
              <li key={key.id} className="key">
                <div className="key-name">{key.name}</div>
                <div className="key-meta">
                  <span>Created {formatDate(key.createdAt)}</span>
                  <span>Last used {formatDate(key.lastUsedAt)}</span>
                </div>
                <button
                  type="button"
                  className="danger small"
                  aria-label={`Revoke ${key.name}`}
                  onClick={() => {
                    revoke.reset();
                    setRevoking(key);
                  }}
                >
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        ) : null}
      </section>

      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke “${revoking?.name ?? ""}”?`}
        confirmLabel="Revoke key"
        busy={revoke.isPending}
        error={revoke.isError ? describeError(revoke.error) : null}
        onCancel={() => setRevoking(null)}
        onConfirm={() => revoking && revoke.mutate({ id: revoking.id })}
      >
        <p>Anything using this key stops working at its next request.</p>
      </ConfirmDialog>
    </>
  );
}
