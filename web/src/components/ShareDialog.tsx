import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import type { ShareLinkFieldsFragment } from "../../../client/generated/graphql.js";
import {
  useCreateShareLinkMutation,
  useRevokeShareLinkMutation,
  useShareLinksQuery,
} from "../../../client/generated/react-query.js";
import { describeError } from "../errors.js";
import { formatCount, formatDate } from "../format.js";
import { useFocusReturn } from "../focus-return.js";
import { LinkField } from "./CopyButton.js";
import "../albums.css";

/** Exactly one of them, as createShareLink wants. */
export type ShareTarget = { imageId: string; albumId?: never } | { albumId: string; imageId?: never };

const HOUR_MS = 3_600_000;
const EXPIRY_CHOICES = [
  { value: "1h", label: "In 1 hour", ms: HOUR_MS },
  { value: "1d", label: "In 1 day", ms: 24 * HOUR_MS },
  { value: "7d", label: "In 7 days", ms: 7 * 24 * HOUR_MS },
  { value: "never", label: "Never", ms: null },
] as const;

/** "Share…" and the dialog it opens; the dialog (and its query) exists only while open. */
export function ShareButton(props: { target: ShareTarget; name: string }) {
  const [open, setOpen] = useState(false);
  const button = useFocusReturn<HTMLButtonElement>(open);
  return (
    <>
      <button ref={button} type="button" className="secondary" aria-haspopup="dialog" onClick={() => setOpen(true)}>
        Share…
      </button>
      {open ? <ShareDialog target={props.target} name={props.name} onClose={() => setOpen(false)} /> : null}
    </>
  );
}

/**
 * Creates share links (expiry, optional view limit, note) and lists the existing ones with revoke. The new link's
 * address is shown once, right after creation: the server keeps only a hash of its token.
 */
function ShareDialog(props: { target: ShareTarget; name: string; onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const ids = useId();
  const queryClient = useQueryClient();
  const links = useShareLinksQuery(props.target);
  const [expiry, setExpiry] = useState<(typeof EXPIRY_CHOICES)[number]["value"]>("7d");
  const [maxViews, setMaxViews] = useState("");
  const [note, setNote] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: [useShareLinksQuery.rootKey] });
  const create = useCreateShareLinkMutation({ onSuccess: () => void refresh() });
  const revoke = useRevokeShareLinkMutation({ onSuccess: () => void refresh() });

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const ms = EXPIRY_CHOICES.find((choice) => choice.value === expiry)?.ms ?? null;
    create.mutate({
      input: {
        ...props.target,
        // From the moment of creation, as the choices say; the server checks it is in the future.
        expiresAt: ms === null ? null : new Date(Date.now() + ms).toISOString(),
        maxViews: maxViews.trim() === "" ? null : Number(maxViews),
        note: note.trim() === "" ? null : note.trim(),
      },
    });
  };

  const created = create.data?.createShareLink.url;
  return (
    <dialog
      ref={ref}
      className="confirm share-dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        props.onClose();
      }}
    >
      <h2 id={titleId}>Share {props.name}</h2>
      <form onSubmit={onSubmit}>
        <div className="field">
          <label htmlFor={`${ids}-expiry`}>Expires</label>
          <select
            id={`${ids}-expiry`}
            value={expiry}
            autoFocus
            onChange={(event) => setExpiry(event.target.value as typeof expiry)}
          >
            {EXPIRY_CHOICES.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-views`}>View limit</label>
          <input
            id={`${ids}-views`}
            type="number"
            inputMode="numeric"
            min={1}
            max={1_000_000}
            step={1}
            placeholder="No limit"
            aria-describedby={`${ids}-views-hint`}
            value={maxViews}
            onChange={(event) => setMaxViews(event.target.value)}
          />
          <span id={`${ids}-views-hint`} className="hint">
            Each opening of the link counts as one view. Empty: no limit.
          </span>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-note`}>Note (optional)</label>
          <input
            id={`${ids}-note`}
            type="text"
            maxLength={200}
            placeholder="Who gets it"
            value={note}
            onChange={(event) => setNote(event.target.value)}
          />
        </div>
        {create.isError ? (
          <p className="error-text" role="alert">
            {describeError(create.error)}
          </p>
        ) : null}
        <div className="actions">
          <button type="submit" className="primary" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create link"}
          </button>
        </div>
      </form>
      {created ? (
        <div className="secret share-created" role="status">
          <p>New link: it is shown only now.</p>
          <LinkField url={created} label="New share link" copyLabel="Copy share link" />
        </div>
      ) : null}
      <h3>Links</h3>
      {links.isPending ? <p className="muted">Loading…</p> : null}
      {links.isError ? <p role="alert">{describeError(links.error)}</p> : null}
      {links.data?.shareLinks.length === 0 ? <p className="muted">No links yet.</p> : null}
      {revoke.isError ? (
        <p className="error-text" role="alert">
          {describeError(revoke.error)}
        </p>
      ) : null}
      <ul className="share-links" aria-label="Share links">
        {links.data?.shareLinks.map((link) => (
          <ShareLinkRow
            key={link.id}
            link={link}
            busy={revoke.isPending && revoke.variables.id === link.id}
            onRevoke={() => revoke.mutate({ id: link.id })}
          />
        ))}
      </ul>
      <div className="actions">
        <button type="button" className="secondary" onClick={props.onClose}>
          Close
        </button>
      </div>
    </dialog>
  );
}

function ShareLinkRow(props: { link: ShareLinkFieldsFragment; busy: boolean; onRevoke(): void }) {
  const { link } = props;
  const state = linkState(link);
  const name = link.note ? `“${link.note}”` : `created ${formatDate(link.createdAt)}`;
  return (
    <li className="share-link" data-state={state.toLowerCase().replace(" ", "-")}>
      <span className="share-link-name">{link.note ?? "No note"}</span>
      <span className="share-link-meta">
        <span className="badge">{state}</span>
        <span>
          {formatCount(link.views)}
          {link.maxViews === null ? "" : ` of ${formatCount(link.maxViews)}`} {link.views === 1 ? "view" : "views"}
        </span>
        <span>{link.expiresAt === null ? "Never expires" : `Expires ${formatDate(link.expiresAt)}`}</span>
        {link.revokedAt ? <span>Revoked {formatDate(link.revokedAt)}</span> : null}
      </span>
      {link.revokedAt === null ? (
        <button
          type="button"
          className="danger small"
          aria-label={`Revoke link ${name}`}
          disabled={props.busy}
          onClick={props.onRevoke}
        >
          {props.busy ? "Revoking…" : "Revoke"}
        </button>
      ) : null}
    </li>
  );
}

function linkState(link: ShareLinkFieldsFragment): "Revoked" | "Expired" | "Used up" | "Active" {
  if (link.revokedAt !== null) return "Revoked";
  if (link.expiresAt !== null && new Date(link.expiresAt).getTime() <= Date.now()) return "Expired";
  if (link.maxViews !== null && link.views >= link.maxViews) return "Used up";
  return "Active";
}
