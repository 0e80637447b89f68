import { Gallery } from "../components/Gallery.js";
import { Uploader } from "../components/Uploader.js";

export function ImagesPage() {
  return (
    <>
      <h1 className="visually-hidden">Images</h1>
      <Uploader />
      <Gallery />
    </>
  );
}
