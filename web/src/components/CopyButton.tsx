import { useEffect, useState } from "react";
import { copyText } from "../clipboard.js";

/** A button that copies `text`; a polite status next to it says whether it worked. */
export function CopyButton(props: { text: string; label?: string; className?: string }) {
  const [result, setResult] = useState<"copied" | "failed" | null>(null);
  useEffect(() => {
    if (result === null) return;
    const timer = window.setTimeout(() => setResult(null), 2500);
    return () => window.clearTimeout(timer);
  }, [result]);
  return (
    <span className="copy">
      <button
        type="button"
        className={props.className ?? "secondary"}
        onClick={async () => setResult((await copyText(props.text)) ? "copied" : "failed")}
      >
        {props.label ?? "Copy link"}
      </button>
      <span className={`copy-status${result === "failed" ? " error-text" : ""}`} role="status">
        {result === "copied" ? "Copied" : result === "failed" ? "Copy failed: select the text and copy it" : ""}
      </span>
    </span>
  );
}

/** A read-only field showing a link (selected on focus), with its copy button. */
export function LinkField(props: { url: string; label: string; copyLabel?: string }) {
  return (
    <div className="link-field">
      <input
        type="text"
        readOnly
        value={props.url}
        aria-label={props.label}
        onFocus={(event) => event.currentTarget.select()}
      />
      <CopyButton text={props.url} label={props.copyLabel} />
    </div>
  );
}
