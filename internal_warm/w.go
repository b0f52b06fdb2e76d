package w

import (
	_ "github.com/disintegration/imaging"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/gowebpki/jcs"
	_ "github.com/labstack/echo/v4"
	_ "github.com/oklog/ulid/v2"
	_ "github.com/tus/tusd/v2/pkg/handler"
	_ "github.com/tus/tusd/v2/pkg/filestore"
	_ "golang.org/x/crypto/argon2"
	_ "modernc.org/sqlite"
)
