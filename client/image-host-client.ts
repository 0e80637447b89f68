import { GraphQLClient } from "graphql-request";
import type { DocumentNode } from "graphql";
import { networkError } from "./errors.js";
import { absoluteUrl, mapErrors, webSocketUrl } from "./graphql-transport.js";
import type {
  ApiKeyFieldsFragment,
  CreateApiKeyMutation,
  ImageFieldsFragment,
  MyImagesQuery,
  RegisterMutation,
  RequestUploadInput,
  UploadMethod,
  UserFieldsFragment,
  Visibility,
} from "./generated/graphql.js";
import { type Sdk, type SdkFunctionWrapper, getSdk } from "./generated/sdk.js";
import { type ImageEvent, LiveConnection, type SubscribeHandlers, type WebSocketConstructor } from "./live.js";
import { awaitProcessed } from "./processing.js";
import {
  type ProgressListener,
  type StageListener,
  type UploadBody,
  type UploadTicket,
  prepareUpload,
  sendBytes,
} from "./upload.js";

export type User = UserFieldsFragment;
export type Image = ImageFieldsFragment;
export type ApiKey = ApiKeyFieldsFragment;
export type AuthPayload = RegisterMutation["register"];
export type CreatedApiKey = CreateApiKeyMutation["createApiKey"];
export type ImageConnection = MyImagesQuery["myImages"];

export interface ImageHostClientOptions {
  /**
   * Where the server is, e.g. `https://img.example.com` (GraphQL at `<baseUrl>/graphql`). In a browser, "" means
   * the page's own origin.
   */
  baseUrl: string;
  /** An API key or session credential (`ih_…`), sent as `Authorization: Bearer`. Null or absent: anonymous. */
  credential?: string | null;
  /** Replaces the global fetch (tests, proxies, instrumentation). */
  fetch?: typeof fetch;
  /**
   * WebSocket constructor for subscriptions. Default: the global one (browsers, Node 22+); on Node 20 pass the
   * `ws` package's `WebSocket`.
   */
  webSocket?: WebSocketConstructor;
}

export interface UploadOptions {
  /**
   * Display name stored with the image. Default: the File's name, else "upload". A HEIC/HEIF file is stored as a
   * JPEG under this name with a `.jpg` extension.
   */
  filename?: string;
  /** Preferred way to send the bytes; storage may not offer it, and the ticket decides. Default PUT. */
  method?: UploadMethod;
  /** PRIVATE: the public link answers 404 to everyone (albums and share links still show it). Default PUBLIC. */
  visibility?: Visibility;
  /** Bytes sent so far / total, of what is sent (the JPEG for a HEIC file). See `sendBytes` for when it is incremental. */
  onProgress?: ProgressListener;
  /** "converting" (HEIC/HEIF files only), then "uploading", then "completing"; see `UploadStage`. */
  onStage?: StageListener;
  /** HEIC/HEIF files only: the JPEG that will be sent, once converted (browsers that cannot draw HEIC can draw it). */
  onConverted?: (jpeg: Blob) => void;
  signal?: AbortSignal;
  /** See `SendBytesOptions.streaming`. */
  streaming?: boolean | "auto";
  /** Resolve only once the server has processed the image (READY or FAILED), as `awaitProcessed` does. */
  wait?: boolean;
}

/**
 * A typed client for one ImageHost server and (optionally) one credential, for Node 20+ and browsers: it uses only
 * fetch, FormData and Blob. Every failure is an `ImageHostError`: `code` is the server's `extensions.code`, or
 * NETWORK_ERROR / HTTP_ERROR when no GraphQL answer arrived. An aborted `signal` rejects with the abort reason.
 */
export class ImageHostClient {
  readonly baseUrl: string;
  readonly credential: string | null;
  /** The generated SDK (one method per operation in client/operations), with errors mapped as above. */
  readonly sdk: Sdk;
  private readonly endpoint: string;
  private readonly fetchImpl: typeof fetch;
  private readonly graphql: GraphQLClient;
  private live: LiveConnection | null = null;

  constructor(private readonly options: ImageHostClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.credential = options.credential ?? null;
    this.endpoint = absoluteUrl(`${this.baseUrl}/graphql`);
    const baseFetch =
      options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
    this.fetchImpl = baseFetch;
    const endpoint = this.endpoint;
    this.graphql = new GraphQLClient(endpoint, {
      headers: this.credential === null ? {} : { authorization: `Bearer ${this.credential}` },
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        try {
          return await baseFetch(input, init);
        } catch (error) {
          if (init?.signal?.aborted) throw error;
          throw networkError(endpoint, error);
        }
      },
    });
    const wrapper: SdkFunctionWrapper = (action) => mapErrors(endpoint, () => action());
    this.sdk = getSdk(this.graphql, wrapper);
  }

  /** The same server with another credential (null: anonymous). */
  withCredential(credential: string | null): ImageHostClient {
    return new ImageHostClient({ ...this.options, credential });
  }

  /** Runs any operation (used by the React Query fetcher), with the same error mapping. */
  request<TData, TVariables extends object = Record<string, unknown>>(
    document: string | DocumentNode,
    variables?: TVariables,
    signal?: AbortSignal,
  ): Promise<TData> {
    return mapErrors(this.endpoint, () => this.graphql.request<TData>({ document, variables, signal }));
  }

  /**
   * Runs a subscription over WebSocket (graphql-ws at `<baseUrl>/graphql`): `onData` per event until the returned
   * function is called or `signal` aborts. Events are not replayed; see `SubscribeHandlers.onConnected`.
   */
  subscribe<TData, TVariables extends Record<string, unknown> = Record<string, never>>(
    document: string,
    variables: TVariables,
    handlers: SubscribeHandlers<TData>,
  ): () => void {
    this.live ??= new LiveConnection(webSocketUrl(this.endpoint), this.credential, this.options.webSocket);
    return this.live.subscribe(document, variables, handlers);
  }

  /** The caller's image events (CREATED, READY, FAILED, DELETED), as `subscribe` delivers them. */
  imageEvents(handlers: Omit<SubscribeHandlers<ImageEvent>, "onData"> & { onEvent(event: ImageEvent): void }) {
    this.live ??= new LiveConnection(webSocketUrl(this.endpoint), this.credential, this.options.webSocket);
    return this.live.imageEvents(handlers);
  }

  /** The image once processed (READY, or FAILED with its reason); see `awaitProcessed` in processing.ts. */
  awaitProcessed(imageId: string, signal?: AbortSignal): Promise<Image> {
    return awaitProcessed(this, imageId, signal);
  }

  /** Closes the subscription socket, if one is open. */
  async closeLive(): Promise<void> {
    await this.live?.dispose();
    this.live = null;
  }

  /** The user the credential belongs to; null when no credential is set. A revoked one is UNAUTHENTICATED. */
  async me(): Promise<User | null> {
    return (await this.sdk.Me()).me;
  }

  /** Creates an account; the result holds a session credential for it (use `withCredential`). */
  async register(username: string, password: string, inviteCode: string | null = null): Promise<AuthPayload> {
    return (await this.sdk.Register({ username, password, inviteCode })).register;
  }

  /** Other sessions of the user are revoked; API keys keep working. */
  async changePassword(current: string, next: string): Promise<void> {
    await this.sdk.ChangePassword({ current, next });
  }

  /** Deletes the account and everything of it. This client's credential stops working. */
  async deleteAccount(password: string): Promise<void> {
    await this.sdk.DeleteAccount({ password });
  }

  async login(username: string, password: string): Promise<AuthPayload> {
    return (await this.sdk.Login({ username, password })).login;
  }

  /** Revokes this client's credential on the server. */
  async logout(): Promise<void> {
    await this.sdk.Logout();
  }

  /** API keys, oldest first (not login sessions). */
  async apiKeys(): Promise<ApiKey[]> {
    return (await this.sdk.ApiKeys()).apiKeys;
  }

  /** The secret is in `key`, shown this once. */
  async createApiKey(name: string): Promise<CreatedApiKey> {
    return (await this.sdk.CreateApiKey({ name })).createApiKey;
  }

  async revokeApiKey(id: string): Promise<void> {
    await this.sdk.RevokeApiKey({ id });
  }

  /** One page of the caller's images, newest first. `first` is 1–100 (server default 20). */
  async myImages(page: { first?: number; after?: string | null } = {}): Promise<ImageConnection> {
    return (await this.sdk.MyImages({ first: page.first, after: page.after ?? null })).myImages;
  }

  /** Every image of the caller, newest first, fetched page by page. */
  async *allImages(pageSize = 100): AsyncGenerator<Image, void, undefined> {
    let after: string | null = null;
    for (;;) {
      const page: ImageConnection = await this.myImages({ first: pageSize, after });
      for (const edge of page.edges) yield edge.node;
      if (!page.pageInfo.hasNextPage || page.pageInfo.endCursor === null) return;
      after = page.pageInfo.endCursor;
    }
  }

  /** Metadata of any public image, or of your own; null otherwise. */
  async image(id: string): Promise<Image | null> {
    return (await this.sdk.Image({ id })).image;
  }

  /** Makes one of the caller's images PUBLIC or PRIVATE; someone else's (or none) is NOT_FOUND. */
  async setImageVisibility(id: string, visibility: Visibility): Promise<Image> {
    return (await this.sdk.SetImageVisibility({ id, visibility })).setImageVisibility;
  }

  /** Deletes one of the caller's images; someone else's (or none) is NOT_FOUND. */
  async deleteImage(id: string): Promise<void> {
    await this.sdk.DeleteImage({ id });
  }

  async requestUpload(input: RequestUploadInput): Promise<UploadTicket> {
    return (await this.sdk.RequestUpload({ input })).requestUpload;
  }

  async completeUpload(uploadId: string): Promise<Image> {
    return (await this.sdk.CompleteUpload({ uploadId })).completeUpload;
  }

  /**
   * The whole upload: `prepareUpload` checks the type by magic bytes (BAD_USER_INPUT before anything is sent for
   * anything but JPEG, PNG, GIF, WebP, AVIF or HEIC/HEIF, or an empty file) and converts HEIC/HEIF to JPEG; then
   * requestUpload, the bytes sent as the ticket says, completeUpload. Returns the recorded image; its `url` is the
   * public link.
   */
  async upload(file: UploadBody, options: UploadOptions = {}): Promise<Image> {
    const name = options.filename ?? (typeof File !== "undefined" && file instanceof File ? file.name : "upload");
    const { blob, contentType, filename, convertedFrom } = await prepareUpload(file, name, {
      onStage: options.onStage,
      signal: options.signal,
    });
    if (convertedFrom !== null) options.onConverted?.(blob);
    options.onStage?.("uploading");
    const ticket = await this.requestUpload({
      filename,
      contentType,
      size: blob.size,
      method: options.method,
      visibility: options.visibility,
    });
    await sendBytes(ticket, blob, {
      fetch: this.fetchImpl,
      signal: options.signal,
      onProgress: options.onProgress,
      streaming: options.streaming,
      filename,
    });
    options.onStage?.("completing");
    const image = await this.completeUpload(ticket.uploadId);
    return options.wait === true ? this.awaitProcessed(image.id, options.signal) : image;
  }
}
