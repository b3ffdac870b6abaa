package gateway

import (
	"net/http"
)

// modelObject is an entry of GET /v1/models: OpenAI's fields, and what Sovra's market
// says of the model.
type modelObject struct {
	ID      string     `json:"id"`
	Object  string     `json:"object"`
	Created int64      `json:"created"`
	OwnedBy string     `json:"owned_by"`
	Sovra   sovraModel `json:"sovra"`
}

type sovraModel struct {
	SHA256        string `json:"sha256"`
	ContextLength uint64 `json:"context_length"`
	ChatTemplate  string `json:"chat_template"`
	Providers     int    `json:"providers"`
	// MinPrice and MaxPrice are the price per token range of the active providers
	// ("" when there is none).
	MinPrice string `json:"min_price_per_token"`
	MaxPrice string `json:"max_price_per_token"`
}

func (g *Gateway) modelObject(m modelMarket) modelObject {
	o := modelObject{
		ID: m.Model.Id, Object: "model", OwnedBy: "sovra",
		Sovra: sovraModel{
			SHA256: m.Model.Sha256, ContextLength: m.Model.ContextLength, ChatTemplate: m.Model.ChatTemplate,
			Providers: len(m.Providers),
		},
	}
	if lo, hi, ok := m.prices(g.cfg.MaxFee.Denom); ok {
		o.Sovra.MinPrice, o.Sovra.MaxPrice = lo.String()+g.cfg.MaxFee.Denom, hi.String()+g.cfg.MaxFee.Denom
	}
	return o
}

func (g *Gateway) handleModels(w http.ResponseWriter, r *http.Request) {
	models, order, _, err := g.market.snapshot(r.Context())
	if err != nil {
		writeError(w, chainError(err))
		return
	}
	list := make([]modelObject, 0, len(order))
	for _, id := range order {
		list = append(list, g.modelObject(models[id]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": list})
}

func (g *Gateway) handleModel(w http.ResponseWriter, r *http.Request) {
	models, _, _, err := g.market.snapshot(r.Context())
	if err != nil {
		writeError(w, chainError(err))
		return
	}
	m, ok := models[r.PathValue("id")]
	if !ok {
		writeError(w, modelNotFound(r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, g.modelObject(m))
}
