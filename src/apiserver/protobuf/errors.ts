// Why a protobuf body could not be read or an object could not be written as protobuf. The API
// server turns a ProtobufDecodeError into a 400 for the client; a ProtobufEncodeError means a stored
// object does not fit its schema (a server bug or a field of the wrong JSON type) and names the field.

export class ProtobufDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufDecodeError';
  }
}

export class ProtobufEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufEncodeError';
  }
}
