import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { InviteFieldsFragment } from "../../../client/generated/graphql.js";
import {
  useCreateInviteMutation,
  useInvitesQuery,
  useRevokeInviteMutation,
} from "../../../client/generated/react-query.js";
import { describeError } from "../errors.js";
import { formatDate } from "../format.js";
import { showNotice } from "../notice.js";
import { CopyButton } from "./CopyButton.js";

/** Invite codes for REGISTRATION=invite: create (the code is shown once), list, revoke. Admin page only. */
export function AdminInvites() {
  const queryClient = useQueryClient();
  const invites = useInvitesQuery();
  const [note, setNote] = useState("");
  const [expires, setExpires] = useState("");
  const [created, setCreated] = useState<InviteFieldsFragment | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: [useInvitesQuery.rootKey] });
  const create = useCreateInviteMutation({
    onSuccess: ({ createInvite }) => {
      setCreated(createInvite);
      setNote("");
      setExpires("");
      void refresh();
    },
  });
  const revoke = useRevokeInviteMutation({
    onSuccess: () => {
      showNotice("Invite removed: its code no longer works.");
      void refresh();
    },
    onError: (error) => showNotice(describeError(error)),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    // A date means "through that day", in the admin's own time zone.
    const expiresAt = expires === "" ? null : new Date(`${expires}T23:59:59`).toISOString();
    create.mutate({ input: { note: note.trim() === "" ? null : note.trim(), expiresAt } });
  };
  const list = invites.data?.invites ?? [];
  return (
    <section className="panel" aria-labelledby="invites-heading">
      <h2 id="invites-heading">Invites</h2>
      <p className="lead">
        With <code>REGISTRATION=invite</code>, an account can only be made with an unused invite code. Each code works
        once, until it expires (a week unless you choose a date).
      </p>
      <form className="inline-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor="invite-note">Note (optional)</label>
          <input
            id="invite-note"
            type="text"
            maxLength={200}
            placeholder="e.g. for Sam"
            value={note}
            onChange={(event) => setNote(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="invite-expires">Expires (optional)</label>
          <input id="invite-expires" type="date" value={expires} onChange={(event) => setExpires(event.target.value)} />
        </div>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create invite
        </button>
      </form>
      {create.isError ? (
        <p className="form-error" role="alert">
          {describeError(create.error)}
        </p>
      ) : null}
      {created?.code ? (
        <div className="secret" role="status">
          <p>
            <strong>New invite code.</strong> Copy it now: it will not be shown again.
          </p>
          <div className="link-field">
            <input
              type="text"
              readOnly
              value={created.code}
              aria-label="New invite code"
              onFocus={(event) => event.currentTarget.select()}
            />
            <CopyButton text={created.code} label="Copy code" />
          </div>
        </div>
      ) : null}
      {invites.isError ? (
        <p className="error-text" role="alert">
          {describeError(invites.error)}
        </p>
      ) : null}
      {invites.data && list.length === 0 ? <p className="empty">No invites yet.</p> : null}
      {list.length > 0 ? (
        <ul className="admin-list" aria-label="Invites">
          {list.map((invite) => (
            <li key={invite.id} className="admin-item">
              <div className="admin-item-name">
                {invite.note || "No note"} <span className="tag">{inviteState(invite)}</span>
              </div>
              <div className="admin-item-meta">
                <span>
                  Created {formatDate(invite.createdAt)} by {invite.createdBy}
                </span>
                {invite.usedAt ? (
                  <span>
                    Used by {invite.usedBy} {formatDate(invite.usedAt)}
                  </span>
                ) : (
                  <span>Expires {formatDate(invite.expiresAt)}</span>
                )}
              </div>
              <div className="admin-item-actions">
                {/* A used invite's record only counts against the limit of invites: removing it is the same call. */}
                <button
                  type="button"
                  className="danger small"
                  aria-label={`${invite.usedAt ? "Remove" : "Revoke"} invite ${invite.note || invite.id}`}
                  disabled={revoke.isPending}
                  onClick={() => revoke.mutate({ id: invite.id })}
                >
                  {invite.usedAt ? "Remove" : "Revoke"}
                </button>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function inviteState(invite: InviteFieldsFragment): string {
  if (invite.usedAt) return "used";
  return new Date(invite.expiresAt).getTime() < Date.now() ? "expired" : "open";
}
