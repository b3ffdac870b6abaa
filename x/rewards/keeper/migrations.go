package keeper

// Migrator runs the module's state migrations, one method per version step
// (MigrateNtoN+1), registered in module.go through the app's configurator and run by an
// upgrade handler (module.Manager.RunMigrations) at the upgrade's height.
type Migrator struct {
	keeper Keeper
}

// NewMigrator returns the migrations over k.
func NewMigrator(k Keeper) Migrator { return Migrator{keeper: k} }
