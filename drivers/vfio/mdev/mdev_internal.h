/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the parts of mdev.ko share: the bus, the registry lock, and the
 * hooks between parents, their types and their instances.
 */
#ifndef MDEV_INTERNAL_H
#define MDEV_INTERNAL_H

#include <linux/mdev.h>
#include <linux/mutex.h>

extern struct bus_type mdev_bus_type;
extern struct class_compat *mdev_bus_class;

/*
 * Protects the list of all instances (so UUIDs stay unique), each
 * parent's list of instances and available_instances, and whether each
 * instance is active.  Never held while calling into a driver or the
 * driver core.  Nests inside a parent's unreg_sem.
 */
extern struct mutex mdev_registry_lock;

int mdev_types_add(struct mdev_parent *parent);
void mdev_types_del(struct mdev_parent *parent);

int mdev_parent_get_busy(struct mdev_parent *parent);
void mdev_parent_put_busy(struct mdev_parent *parent);

int mdev_instance_create(struct mdev_type *type, const guid_t *uuid);
void mdev_instances_reap(struct mdev_parent *parent);
extern const struct attribute_group *mdev_instance_groups[];

#endif /* MDEV_INTERNAL_H */
