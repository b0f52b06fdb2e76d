// Package photos turns an uploaded photo into what the server keeps and
// serves: the verified original plus two EXIF-free JPEG derivatives, "large"
// and "thumb", in a content-addressed store on the local filesystem.
//
// Process is pure (it reads one file and returns bytes); Store does the
// filesystem work. The upload protocol (tus) sits on top of both elsewhere:
// it hands Process the finished upload and Store.Put the result.
package photos
