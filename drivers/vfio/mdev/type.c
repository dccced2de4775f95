// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sysfs directories of mediated device types:
 *
 *   <parent>/mdev_supported_types/<driver>-<type>/
 *       create               write a UUID to create an instance
 *       available_instances  how many more can be created
 *       device_api           the VFIO device API instances implement
 *       name                 a human-readable name
 *       description          (if the driver describes its types)
 *       devices/             links to the type's instances
 */
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "mdev_internal.h"

/* One file of a type directory; a NULL method makes it RO or WO. */
struct mdev_type_file {
	struct attribute attr;
	ssize_t (*show)(struct mdev_type *type, char *buf);
	ssize_t (*store)(struct mdev_type *type, const char *buf, size_t len);
};

static struct mdev_type *kobj_to_type(struct kobject *kobj)
{
	return container_of(kobj, struct mdev_type, kobj);
}

static struct mdev_type_file *attr_to_file(struct attribute *attr)
{
	return container_of(attr, struct mdev_type_file, attr);
}

static ssize_t mdev_type_sysfs_show(struct kobject *kobj,
				    struct attribute *attr, char *buf)
{
	struct mdev_type_file *file = attr_to_file(attr);

	return file->show ? file->show(kobj_to_type(kobj), buf) : -EIO;
}

static ssize_t mdev_type_sysfs_store(struct kobject *kobj,
				     struct attribute *attr,
				     const char *buf, size_t len)
{
	struct mdev_type_file *file = attr_to_file(attr);

	return file->store ? file->store(kobj_to_type(kobj), buf, len) : -EIO;
}

static const struct sysfs_ops mdev_type_sysfs_ops = {
	.show	= mdev_type_sysfs_show,
	.store	= mdev_type_sysfs_store,
};

/* A UUID as text, optionally followed by one newline (as echo adds). */
static int mdev_parse_uuid(const char *buf, size_t len, guid_t *uuid)
{
	char text[UUID_STRING_LEN + 1];

	if (len && buf[len - 1] == '\n')
		len--;
	if (len != UUID_STRING_LEN)
		return -EINVAL;
	memcpy(text, buf, len);
	text[len] = '\0';
	return guid_parse(text, uuid);
}

static ssize_t create_store(struct mdev_type *type, const char *buf,
			    size_t len)
{
	guid_t uuid;
	int ret;

	ret = mdev_parse_uuid(buf, len, &uuid);
	if (ret)
		return ret;
	ret = mdev_instance_create(type, &uuid);
	return ret ? ret : len;
}

static ssize_t available_instances_show(struct mdev_type *type, char *buf)
{
	struct mdev_parent *parent = type->parent;
	unsigned int n;

	if (parent->mdev_driver->get_available)
		n = parent->mdev_driver->get_available(type);
	else
		n = atomic_read(&parent->available_instances);
	return sysfs_emit(buf, "%u\n", n);
}

static ssize_t device_api_show(struct mdev_type *type, char *buf)
{
	return sysfs_emit(buf, "%s\n", type->parent->mdev_driver->device_api);
}

static ssize_t name_show(struct mdev_type *type, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  type->pretty_name ?: type->sysfs_name);
}

static ssize_t description_show(struct mdev_type *type, char *buf)
{
	return type->parent->mdev_driver->show_description(type, buf);
}

static struct mdev_type_file mdev_type_files[] = {
	{ .attr = { .name = "create", .mode = 0200 },
	  .store = create_store },
	{ .attr = { .name = "available_instances", .mode = 0444 },
	  .show = available_instances_show },
	{ .attr = { .name = "device_api", .mode = 0444 },
	  .show = device_api_show },
	{ .attr = { .name = "name", .mode = 0444 },
	  .show = name_show },
	{ .attr = { .name = "description", .mode = 0444 },
	  .show = description_show },
};

static struct attribute *mdev_type_attrs[] = {
	&mdev_type_files[0].attr,
	&mdev_type_files[1].attr,
	&mdev_type_files[2].attr,
	&mdev_type_files[3].attr,
	&mdev_type_files[4].attr,
	NULL
};

/* "description" exists only for drivers that can fill it. */
static umode_t mdev_type_attr_visible(struct kobject *kobj,
				      struct attribute *attr, int n)
{
	struct mdev_type *type = kobj_to_type(kobj);

	if (attr == &mdev_type_files[4].attr &&
	    !type->parent->mdev_driver->show_description)
		return 0;
	return attr->mode;
}

static const struct attribute_group mdev_type_group = {
	.attrs		= mdev_type_attrs,
	.is_visible	= mdev_type_attr_visible,
};

static const struct attribute_group *mdev_type_groups[] = {
	&mdev_type_group,
	NULL
};

/*
 * The type lives in the driver's memory, which the driver frees after
 * mdev_unregister_parent(); by then sysfs has let go of the kobject and no
 * instance refers to the type any more, so there is nothing to free here.
 */
static void mdev_type_release(struct kobject *kobj)
{
}

static const struct kobj_type mdev_type_ktype = {
	.sysfs_ops	= &mdev_type_sysfs_ops,
	.release	= mdev_type_release,
	.default_groups	= mdev_type_groups,
};

static int mdev_type_add(struct mdev_parent *parent, struct mdev_type *type)
{
	int ret;

	if (!type->sysfs_name)
		return -EINVAL;
	type->parent = parent;
	/* A driver may register the same types again after unregistering. */
	memset(&type->kobj, 0, sizeof(type->kobj));
	ret = kobject_init_and_add(&type->kobj, &mdev_type_ktype,
				   &parent->mdev_types_kset->kobj, "%s-%s",
				   dev_driver_string(parent->dev),
				   type->sysfs_name);
	if (ret)
		goto err_put;
	type->devices_kobj = kobject_create_and_add("devices", &type->kobj);
	if (!type->devices_kobj) {
		ret = -ENOMEM;
		goto err_del;
	}
	return 0;

err_del:
	kobject_del(&type->kobj);
err_put:
	kobject_put(&type->kobj);
	return ret;
}

static void mdev_type_del(struct mdev_type *type)
{
	kobject_del(type->devices_kobj);
	kobject_put(type->devices_kobj);
	kobject_del(&type->kobj);
	kobject_put(&type->kobj);
}

/**
 * mdev_types_add - create the mdev_supported_types directory of a parent
 * @parent: the parent, with its dev and types set
 *
 * Return: 0 or a negative errno; on error nothing is left behind.
 */
int mdev_types_add(struct mdev_parent *parent)
{
	unsigned int i;
	int ret;

	parent->mdev_types_kset = kset_create_and_add("mdev_supported_types",
						      NULL,
						      &parent->dev->kobj);
	if (!parent->mdev_types_kset)
		return -ENOMEM;

	for (i = 0; i < parent->nr_types; i++) {
		ret = mdev_type_add(parent, parent->types[i]);
		if (ret)
			goto err_types;
	}
	return 0;

err_types:
	while (i--)
		mdev_type_del(parent->types[i]);
	kset_unregister(parent->mdev_types_kset);
	return ret;
}

/**
 * mdev_types_del - remove what mdev_types_add() created
 * @parent: the parent, which has no instances left
 *
 * Waits for "create" writes under way to return.
 */
void mdev_types_del(struct mdev_parent *parent)
{
	unsigned int i = parent->nr_types;

	while (i--)
		mdev_type_del(parent->types[i]);
	kset_unregister(parent->mdev_types_kset);
	parent->mdev_types_kset = NULL;
}
