/**
 * React glue for the generated React Query hooks (client/generated/react-query.ts): they fetch through
 * `useImageHostFetcher`, which uses the `ImageHostClient` of the nearest `<ImageHostProvider>`. So the hooks get
 * the client's base URL, credential and typed `ImageHostError`s.
 *
 *   <QueryClientProvider client={queryClient}>
 *     <ImageHostProvider client={new ImageHostClient({ baseUrl: "", credential })}>…
 *   const { data } = useMeQuery();
 */
import { type ReactNode, createContext, createElement, useContext } from "react";
import type { ImageHostClient } from "./image-host-client.js";

const ImageHostContext = createContext<ImageHostClient | null>(null);

export function ImageHostProvider(props: { client: ImageHostClient; children?: ReactNode }): ReactNode {
  return createElement(ImageHostContext.Provider, { value: props.client }, props.children);
}

export function useImageHostClient(): ImageHostClient {
  const client = useContext(ImageHostContext);
  if (client === null) throw new Error("useImageHostClient: wrap the app in <ImageHostProvider client={…}>.");
  return client;
}

/** The fetcher the generated hooks call (`fetcher.isReactHook`): one operation document in, a typed call out. */
export function useImageHostFetcher<TData, TVariables>(
  document: string | { toString(): string },
): (variables?: TVariables) => Promise<TData> {
  const client = useImageHostClient();
  return (variables?: TVariables) =>
    client.request<TData, object>(document.toString(), variables as object | undefined);
}
