import { keepPreviousData, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { AdminUserFieldsFragment } from "../../../client/generated/graphql.js";
import {
  useDeleteUserMutation,
  useInstanceStatsQuery,
  useSetUserDisabledMutation,
  useUsersQuery,
} from "../../../client/generated/react-query.js";
import { AdminInvites } from "../components/AdminInvites.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { describeError } from "../errors.js";
import { formatBytes, formatCount, formatDate } from "../format.js";
import { showNotice } from "../notice.js";
import "../account-admin.css";

const PAGE_SIZE = 20;

/** For the admins of ADMIN_USERNAMES only (App shows "not found" to anyone else; the server refuses them too). */
export function AdminPage() {
  return (
    <>
      <h1>Admin</h1>
      <InstanceStats />
      <Users />
      <AdminInvites />
    </>
  );
}

function InstanceStats() {
  const stats = useInstanceStatsQuery();
  return (
    <section className="panel" aria-labelledby="stats-heading">
      <h2 id="stats-heading">Instance</h2>
      {stats.isPending ? <p role="status">Loading…</p> : null}
      {stats.isError ? (
        <p className="error-text" role="alert">
          {describeError(stats.error)}
        </p>
      ) : null}
      {stats.data ? (
        <dl className="stats">
          <div>
            <dt>Users</dt>
            <dd>{formatCount(stats.data.instanceStats.users)}</dd>
          </div>
          <div>
            <dt>Images</dt>
            <dd>{formatCount(stats.data.instanceStats.images)}</dd>
          </div>
          <div>
            <dt>Stored</dt>
            <dd>{formatBytes(stats.data.instanceStats.bytes)}</dd>
          </div>
        </dl>
      ) : null}
    </section>
  );
}

function Users() {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState("");
  const [search, setSearch] = useState("");
  // Cursors of the pages before the current one, for "Previous": the connection only pages forward.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const users = useUsersQuery(
    { first: PAGE_SIZE, after, search: search === "" ? null : search },
    { placeholderData: keepPreviousData },
  );
  const [deleting, setDeleting] = useState<AdminUserFieldsFragment | null>(null);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: [useUsersQuery.rootKey] }),
      queryClient.invalidateQueries({ queryKey: [useInstanceStatsQuery.rootKey] }),
    ]);
  const setDisabled = useSetUserDisabledMutation({
    onSuccess: ({ setUserDisabled: user }) => {
      showNotice(`${user.disabled ? "Disabled" : "Enabled"} ${user.username}.`);
      void refresh();
    },
    onError: (error) => showNotice(describeError(error)),
  });
  const remove = useDeleteUserMutation({
    onSuccess: () => {
      showNotice(`Deleted ${deleting?.username ?? "the user"} and everything of theirs.`);
      setDeleting(null);
      void refresh();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSearch(draft.trim());
    setCursors([null]);
  };
  const page = users.data?.users;
  return (
    <section className="panel" aria-labelledby="users-heading">
      <h2 id="users-heading">Users</h2>
      <form className="inline-form" role="search" onSubmit={submit}>
        <div className="field">
          <label htmlFor="user-search">Username contains</label>
          <input id="user-search" type="search" value={draft} onChange={(event) => setDraft(event.target.value)} />
        </div>
        <button type="submit" className="secondary">
          Search
        </button>
      </form>
      {users.isPending ? <p role="status">Loading…</p> : null}
      {users.isError ? (
        <p className="error-text" role="alert">
          {describeError(users.error)}
        </p>
      ) : null}
      {page && page.edges.length === 0 ? (
        <p className="empty">No users{search ? ` matching “${search}”` : ""}.</p>
      ) : null}
      {page && page.edges.length > 0 ? (
        <ul className="admin-list" aria-label="Users">
          {page.edges.map(({ node: user }) => (
            <li key={user.id} className="admin-item">
              <div className="admin-item-name">
                {user.username}
                {user.isAdmin ? <span className="tag">admin</span> : null}
                {user.disabled ? <span className="tag tag-danger">disabled</span> : null}
              </div>
              <div className="admin-item-meta">
                <span>{formatCount(user.imageCount)} images</span>
                <span>{formatBytes(user.bytesUsed)}</span>
                <span>Created {formatDate(user.createdAt ?? null)}</span>
                <span>Last seen {formatDate(user.lastSeenAt ?? null)}</span>
              </div>
              <div className="admin-item-actions">
                <button
                  type="button"
                  className="secondary small"
                  aria-label={`${user.disabled ? "Enable" : "Disable"} ${user.username}`}
                  disabled={setDisabled.isPending}
                  onClick={() => setDisabled.mutate({ id: user.id, disabled: !user.disabled })}
                >
                  {user.disabled ? "Enable" : "Disable"}
                </button>
                <button
                  type="button"
                  className="danger small"
                  aria-label={`Delete ${user.username}`}
                  onClick={() => {
                    remove.reset();
                    setDeleting(user);
                  }}
                >
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="pager">
        <button
          type="button"
          className="secondary small"
          disabled={cursors.length <= 1}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Previous
        </button>
        <span>Page {cursors.length}</span>
        <button
          type="button"
          className="secondary small"
          disabled={!page?.pageInfo.hasNextPage || users.isPlaceholderData}
          onClick={() => page?.pageInfo.endCursor && setCursors([...cursors, page.pageInfo.endCursor])}
        >
          Next
        </button>
      </div>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting?.username ?? ""}?`}
        confirmLabel="Delete user"
        busy={remove.isPending}
        error={remove.isError ? describeError(remove.error) : null}
        onCancel={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate({ id: deleting.id })}
      >
        <p>
          Their account, {formatCount(deleting?.imageCount ?? 0)} images, albums, links and keys are deleted. This
          cannot be undone.
        </p>
      </ConfirmDialog>
    </section>
  );
}
