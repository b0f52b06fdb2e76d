package api

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/notice"
	"github.com/ruhu-org/ruhu/server/policy"
	"github.com/ruhu-org/ruhu/server/roster"
	"github.com/ruhu-org/ruhu/syncproto"
)

func init() {
	// A precondition of the procedure that fails is a conflict with the
	// case's state: 409, with the code naming the rule.
	for _, code := range []string{syncproto.CodeInvalidTransition, syncproto.CodeCaseAlreadyOpen,
		syncproto.CodeInvestigationRequired, syncproto.CodeReviewMissing, syncproto.CodeReviewNotSigned,
		syncproto.CodeReviewNoQuorum, syncproto.CodeReviewNotPassed, syncproto.CodeReviewLocked,
		syncproto.CodeNoticePeriodRunning, syncproto.CodeNotInNotice, syncproto.CodeDrawRequired,
		syncproto.CodeRevisitRequired, syncproto.CodeSpotCheckRequired, syncproto.CodeNothingToDraw,
		syncproto.CodeStaleCase, syncproto.CodeExitNotApplicable, syncproto.CodeBenefitNotPayable, syncproto.CodeConflictOfInterest} {
		statusOf[code] = http.StatusConflict
	}
}

// caseRoutes adds the case procedure's routes (docs/procedure.md).
func (s *Server) caseRoutes(v1 *echo.Group, field []echo.MiddlewareFunc, admin []echo.MiddlewareFunc) {
	if s.deps.Cases == nil {
		return
	}
	v1.POST("/cases", s.createCase, field...)
	v1.GET("/cases", s.listCases, field...)
	v1.GET("/cases/:id", s.getCase, field...)
	v1.POST("/cases/:id/transitions", s.transitionCase, field...)
	v1.POST("/cases/:id/objections", s.objectCase, field...)
	v1.GET("/cases/:id/benefit", s.caseBenefit, field...)
	v1.POST("/draws", s.createDraw, field...)
	v1.GET("/draws/:id", s.getDraw, field...)
	v1.GET("/notices", s.getNotice, field...)
	v1.GET("/roster", s.getRoster, field...)
	v1.GET("/roster.xlsx", s.getRoster, field...)
	v1.GET("/roster.csv", s.getRoster, field...)
	v1.GET("/policies", s.listPolicies, field...)
	v1.GET("/admin/policies", s.listPolicies, admin...)
	v1.POST("/admin/policies", s.addPolicy, admin...)
}

func (s *Server) createCase(c echo.Context) error {
	var in syncproto.CreateCaseRequest
	if err := s.bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Cases.CreateCase(c.Request().Context(), actorOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) listCases(c echo.Context) error {
	limit, err := limitParam(c, 100, 500)
	if err != nil {
		return err
	}
	f := server.CaseFilter{UnitID: c.QueryParam("unit_id"), State: c.QueryParam("state"),
		Category: c.QueryParam("category"), Household: c.QueryParam("household_id"), After: c.QueryParam("after"), Limit: limit}
	if d := c.QueryParam("drawn"); d != "" {
		if f.Drawn, err = strconv.ParseBool(d); err != nil {
			return server.Errorf(syncproto.CodeBadRequest, "drawn must be true or false")
		}
	}
	out, err := s.deps.Cases.Cases(c.Request().Context(), actorOf(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getCase(c echo.Context) error {
	out, err := s.deps.Cases.Case(c.Request().Context(), actorOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) transitionCase(c echo.Context) error {
	var in syncproto.TransitionRequest
	if err := s.bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Cases.Transition(c.Request().Context(), actorOf(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) objectCase(c echo.Context) error {
	var in syncproto.ObjectionRequest
	if err := s.bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Cases.Object(c.Request().Context(), actorOf(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) caseBenefit(c echo.Context) error {
	out, err := s.deps.Cases.CaseBenefit(c.Request().Context(), actorOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) createDraw(c echo.Context) error {
	var in syncproto.DrawRequest
	if err := s.bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Cases.Draw(c.Request().Context(), actorOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) getDraw(c echo.Context) error {
	out, err := s.deps.Cases.GetDraw(c.Request().Context(), actorOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// getNotice serves a notice list as JSON, or (format=html) as the
// printable page.
func (s *Server) getNotice(c echo.Context) error {
	list, err := s.deps.Cases.Notice(c.Request().Context(), actorOf(c), c.QueryParam("unit_id"), c.QueryParam("stage"))
	if err != nil {
		return err
	}
	if c.QueryParam("format") == "html" {
		var b bytes.Buffer
		if err := notice.Render(&b, list); err != nil {
			return err
		}
		return c.HTMLBlob(http.StatusOK, b.Bytes())
	}
	return c.JSON(http.StatusOK, list)
}

// getRoster serves the roster as JSON, xlsx or CSV (by the path).
func (s *Server) getRoster(c echo.Context) error {
	unit := c.QueryParam("unit_id")
	rows, err := s.deps.Cases.Roster(c.Request().Context(), actorOf(c), unit)
	if err != nil {
		return err
	}
	if unit == "" {
		unit = actorOf(c).UnitID
	}
	var b bytes.Buffer
	switch c.Path() {
	case "/v1/roster.xlsx":
		if err := roster.WriteXLSX(&b, "花名册 "+unit, rows); err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="roster-`+unit+`.xlsx"`)
		return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b.Bytes())
	case "/v1/roster.csv":
		if err := roster.WriteCSV(&b, rows); err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="roster-`+unit+`.csv"`)
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
	}
	return c.JSON(http.StatusOK, map[string]any{"unit_id": unit, "rows": rows})
}

func (s *Server) listPolicies(c echo.Context) error {
	out, err := s.deps.Cases.Policies(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"policies": out})
}

func (s *Server) addPolicy(c echo.Context) error {
	var in policy.Policy
	if err := s.bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Cases.AddPolicy(c.Request().Context(), actorOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"policies": out})
}
