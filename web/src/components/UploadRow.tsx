/** One row of the upload list: a preview of the picked file, its name and size, progress, then its link or error. */
import "./upload-row.css";
import type { ImageFieldsFragment } from "../../../client/generated/graphql.js";
import type { Turn } from "../completion-order.js";
import { formatBytes } from "../format.js";
import { LinkField } from "./CopyButton.js";

type UploadState =
  | { status: "queued" }
  | { status: "converting" }
  | { status: "uploading"; sent: number; total: number }
  | { status: "verifying" }
  | { status: "done"; image: ImageFieldsFragment }
  | { status: "failed"; message: string };

export interface UploadItem {
  key: number;
  file: File;
  name: string;
  state: UploadState;
  /** An object URL of the picked file (of its JPEG once a HEIC file is converted), until drawn (see `Previews`). */
  preview: string;
  /** Its place in the line for being recorded, taken when it was picked. */
  turn: Turn;
}

/**
 * The object URLs behind the previews. Each is revoked once its image has loaded (or failed to: a HEIC file the
 * browser cannot draw), when its row is cleared, and for all when the uploader goes away, so a long session of
 * uploads does not keep every picked file reachable.
 */
export class Previews {
  private readonly live = new Set<string>();

  create(file: Blob): string {
    const url = URL.createObjectURL(file);
    this.live.add(url);
    return url;
  }

  revoke(url: string): void {
    if (this.live.delete(url)) URL.revokeObjectURL(url);
  }

  revokeAll(): void {
    for (const url of this.live) URL.revokeObjectURL(url);
    this.live.clear();
  }
}

export function UploadRow({ item, previews }: { item: UploadItem; previews: Previews }) {
  const { state } = item;
  return (
    <li className={`upload upload-${state.status}`} data-status={state.status}>
      {/* Decorative: the name beside it says which file this is. The drawn picture stays after the revoke. */}
      <img
        className="upload-preview"
        src={item.preview}
        alt=""
        onLoad={() => previews.revoke(item.preview)}
        onError={() => previews.revoke(item.preview)}
      />
      <div className="upload-body">
        <div className="upload-head">
          <span className="upload-name">{item.name}</span>
          <span className="upload-size">{formatBytes(item.file.size)}</span>
        </div>
        {state.status === "failed" ? (
          <p className="upload-error">
            <span aria-hidden="true">⚠ </span>
            {state.message}
          </p>
        ) : (
          <>
            <progress max={100} value={percentOf(state)} aria-label={`Progress of ${item.name}`} />
            <p className="upload-status">{statusText(state)}</p>
          </>
        )}
        {state.status === "done" ? <LinkField url={state.image.url} label={`Link to ${item.name}`} /> : null}
      </div>
    </li>
  );
}

function percentOf(state: UploadState): number {
  switch (state.status) {
    case "queued":
    case "converting":
      return 0;
    case "uploading":
      return state.total > 0 ? Math.round((state.sent / state.total) * 100) : 0;
    default:
      return 100;
  }
}

function statusText(state: UploadState): string {
  switch (state.status) {
    case "queued":
      return "Waiting…";
    case "converting":
      return "Converting HEIC to JPEG…";
    case "uploading":
      return `Uploading… ${percentOf(state)}%`;
    case "verifying":
      return "Checking the image…";
    case "done":
      return `Uploaded · ${state.image.width} × ${state.image.height} px`;
    case "failed":
      return state.message;
  }
}
