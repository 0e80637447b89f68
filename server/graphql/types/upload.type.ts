import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { Visibility } from "./visibility.type.js";

export enum UploadMethod {
  PUT = "PUT",
  POST = "POST",
}
registerEnumType(UploadMethod, {
  name: "UploadMethod",
  description:
    "PUT: send the file as the body with `headers`. POST: a multipart form with `fields` first, then the file as `file`.",
});

@InputType()
export class RequestUploadInput {
  @Field(() => String, { description: "Display name; path parts are dropped." })
  filename!: string;

  @Field(() => String, { description: "One of image/jpeg, image/png, image/gif, image/webp, image/avif." })
  contentType!: string;

  @Field(() => Int, { description: "Exact size of the file, bytes." })
  size!: number;

  @Field(() => UploadMethod, {
    defaultValue: UploadMethod.PUT,
    description: "Preferred way to send the bytes. Storage may not offer it: follow the ticket's `method`.",
  })
  method!: UploadMethod;

  @Field(() => Visibility, { defaultValue: Visibility.PUBLIC, description: "Of the image once completed." })
  visibility!: Visibility;
}

@ObjectType({ description: "A name/value pair: an HTTP header or a form field." })
export class HttpField {
  @Field(() => String)
  name!: string;

  @Field(() => String)
  value!: string;
}

@ObjectType({ description: "How to send one file straight to storage, then call completeUpload(uploadId)." })
export class UploadTicket {
  @Field(() => ID)
  uploadId!: string;

  @Field(() => UploadMethod)
  method!: UploadMethod;

  @Field(() => String, { description: "Where to send the bytes (absolute)." })
  url!: string;

  @Field(() => [HttpField], { description: "Headers to send with a PUT." })
  headers!: HttpField[];

  @Field(() => [HttpField], { description: "Form fields a POST must carry before the file." })
  fields!: HttpField[];

  @Field(() => Date, { description: "The ticket and its URL stop working then." })
  expiresAt!: Date;

  @Field(() => Int, { description: "Largest accepted file, bytes." })
  maxBytes!: number;
}
